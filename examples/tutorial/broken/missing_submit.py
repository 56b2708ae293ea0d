# expect: E073 23:11
"""Try breaking it: a record reserved but never submitted on one path (E073).

    ebpfpy check examples/tutorial/broken/missing_submit.py

The early ``return`` for pid 0 leaves the reservation held; the verifier would refuse the
program ("Unreleased reference"), and ebpfpy says so at the reserve, naming the return.
Fix: ``events.discard(rec)`` before that return.
"""
from ebpfpy import bpf_program, struct, RingBuf, helpers, u32


@struct
class Event:
    pid: u32


events = RingBuf(1 << 12, event=Event)


@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx) -> int:
    rec = events.reserve()
    if rec is None:
        return 0
    rec.pid = u32(helpers.get_current_pid_tgid() >> 32)
    if rec.pid == 0:
        return 0                      # leaks the reservation
    events.submit(rec)
    return 0
