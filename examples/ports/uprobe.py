"""uprobe: uprobes and uretprobes on two functions of the running program, printing their
arguments and results to the trace pipe.

Port of libbpf-bootstrap's examples/c/uprobe.bpf.c and uprobe.c
(github.com/libbpf/libbpf-bootstrap): ``uprobe_add``/``uretprobe_add`` and
``uprobe_sub``/``uretprobe_sub`` ``bpf_printk`` "uprobed_add ENTRY: a = %d, b = %d" and
"uprobed_add EXIT: return = %d" (and the same for ``uprobed_sub``); the loop calls
``uprobed_add(i, i + 1)`` and ``uprobed_sub(i * i, i)`` once a second, printing a dot.
Python has no native functions of its own to probe, so ``uprobed_add``/``uprobed_sub``
(uprobed.c next to this file, the original's two functions) are built into a shared library
with ``cc`` and called through ctypes; every probe attaches with ``attach(pid=, path=,
symbol=)`` (the original names ``/proc/self/exe`` in two of the section names, a path not
known until the library is built).  As in the original, the entry probe of ``uprobed_add``
fires for this process only (pid 0), the others for any process (pid -1, what libbpf's
auto-attach of a section with a path uses).
Left out: nothing.

    sudo python examples/ports/uprobe.py     # then: sudo cat /sys/kernel/tracing/trace_pipe
"""
from ebpfpy import bpf_program, helpers, i32


@bpf_program("uprobe")
def uprobe_add(ctx) -> int:
    helpers.printk("uprobed_add ENTRY: a = %d, b = %d", i32(ctx.di), i32(ctx.si))
    return 0


@bpf_program("uretprobe")
def uretprobe_add(ctx) -> int:
    helpers.printk("uprobed_add EXIT: return = %d", i32(ctx.ax))
    return 0


@bpf_program("uprobe")
def uprobe_sub(ctx) -> int:
    helpers.printk("uprobed_sub ENTRY: a = %d, b = %d", i32(ctx.di), i32(ctx.si))
    return 0


@bpf_program("uretprobe")
def uretprobe_sub(ctx) -> int:
    helpers.printk("uprobed_sub EXIT: return = %d", i32(ctx.ax))
    return 0


def build_library(tmp: str) -> str:
    """uprobed.c as a shared library in ``tmp``; its path."""
    import os
    import subprocess
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "uprobed.c")
    lib = os.path.join(tmp, "libuprobed.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib, src], check=True)
    return lib


def main(argv=None) -> None:
    import ctypes
    import sys
    import tempfile
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser

    args = base_parser("Trace two functions of this program with uprobes.").parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, ebpfpy.load(__file__) as obj:
        path = build_library(tmp)
        lib = ctypes.CDLL(path)
        progs = obj.programs
        progs.uprobe_add.attach(pid=0, path=path, symbol="uprobed_add")
        progs.uretprobe_add.attach(pid=-1, path=path, symbol="uprobed_add")
        progs.uprobe_sub.attach(pid=-1, path=path, symbol="uprobed_sub")
        progs.uretprobe_sub.attach(pid=-1, path=path, symbol="uprobed_sub")
        print("Successfully started! Please run `sudo cat /sys/kernel/debug/tracing/trace_pipe` "
              "to see output of the BPF programs.", flush=True)
        stop = Interrupted()
        end = time.monotonic() + args.duration if args.duration else None
        i = 0
        while not stop.exiting and (end is None or time.monotonic() < end):
            sys.stderr.write(".")               # trigger our BPF programs
            sys.stderr.flush()
            lib.uprobed_add(i, i + 1)
            lib.uprobed_sub(i * i, i)
            time.sleep(1)
            i += 1


if __name__ == "__main__":
    main()
