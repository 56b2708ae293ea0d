"""Step 1: hello, world — a BPF program on a tracepoint that writes to the trace pipe.

    python examples/tutorial/01_hello.py          # or: ebpfpy run examples/tutorial/01_hello.py

The program runs in the kernel every time any process calls openat(2).  ``helpers.printk``
is ``bpf_trace_printk``: its lines appear in /sys/kernel/tracing/trace_pipe.
"""
from ebpfpy import bpf_program, helpers, u32


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def hello(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    helpers.printk("hello, world: pid %d opens a file", pid)
    return 0


if __name__ == "__main__":
    import os
    import select
    import time

    import ebpfpy

    pipe = os.open("/sys/kernel/tracing/trace_pipe", os.O_RDONLY | os.O_NONBLOCK)
    with ebpfpy.load(__file__) as obj, obj.programs.hello.attach():
        for _ in range(3):
            open(__file__).close()          # trigger the tracepoint ourselves
        mine = f"pid {os.getpid()} opens"
        shown, end, text = 0, time.monotonic() + 2, b""
        while shown < 3 and time.monotonic() < end:
            if select.select([pipe], [], [], 0.1)[0]:
                text += os.read(pipe, 65536)
            lines = text.decode(errors="replace").splitlines()
            found = [ln.strip() for ln in lines if mine in ln]
            for ln in found[shown:3]:
                print(ln)
            shown = max(shown, min(len(found), 3))
    os.close(pipe)
