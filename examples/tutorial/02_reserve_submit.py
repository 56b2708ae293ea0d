"""Step 2 (acquire and release): ring-buffer records written in place — reserve, fill, submit (or discard).

    python examples/tutorial/02_reserve_submit.py

``events.output(Event(...))`` builds a record on the 512-byte stack and copies it into the
ring.  ``rec = events.reserve()`` instead hands out the record's own memory in the ring: the
program fills it there (no stack, no copy) and then gives it back with ``events.submit(rec)``
(userspace sees it) or ``events.discard(rec)`` (it disappears).  The verifier counts every
reservation as a reference that must be given back on every path; ebpfpy checks the same
thing at compile time, so ``broken/missing_submit.py`` is a compile error, not a verifier log.
"""
from ebpfpy import bpf_program, struct, RingBuf, helpers, u8, u32, u64


@struct
class Open:
    pid: u32
    flags: u32
    comm: u8[16]
    filename: u8[128]


events = RingBuf(1 << 16, event=Open)
me: u32 = 0


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def on_open(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    if pid != me:
        return 0
    rec = events.reserve()
    if rec is None:                   # the ring is full: nothing to give back
        return 0
    rec.pid = pid
    rec.flags = u32(ctx.flags)
    rec.comm = helpers.get_current_comm()
    if helpers.probe_read_user_str(rec.filename, ctx.filename) < 0:
        events.discard(rec)           # no name to report: drop the half-filled record
        return 0
    events.submit(rec)
    return 0


if __name__ == "__main__":
    import os

    import ebpfpy

    with ebpfpy.load(__file__) as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_open.attach():
            for path in ("/etc/hostname", "/etc/os-release"):
                open(path).close()
            for ev in obj.maps.events.poll(timeout=0.5):
                name = bytes(ev.filename).split(b"\0")[0].decode()
                print(f"pid {ev.pid} opened {name} (flags {ev.flags:#x})")
