"""Broken on purpose (proposed step 10): a reserved record that one path never submits."""
from ebpfpy import bpf_program, struct, RingBuf, helpers, u32


@struct
class Event:
    pid: u32


events = RingBuf(1 << 12, event=Event)


@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx) -> int:
    rec = events.reserve()        # expect: E073 15:11
    if rec is None:
        return 0
    rec.pid = u32(helpers.get_current_pid_tgid() >> 32)
    if rec.pid == 0:
        return 0                  # leaks the reservation: events.discard(rec) first
    events.submit(rec)
    return 0
