"""minimal: the smallest libbpf program — printk from write(2) calls of this process.

Port of libbpf-bootstrap's examples/c/minimal.bpf.c and minimal.c
(github.com/libbpf/libbpf-bootstrap): a ``tp/syscalls/sys_enter_write`` program that prints
"BPF triggered from PID N." to the trace pipe when the writer is this process (``my_pid``,
a plain global set after load, as the skeleton's ``bss->my_pid``), and a loop that writes a
"." to stderr every second.  Left out: nothing.

    sudo python examples/ports/minimal.py        # then: sudo cat /sys/kernel/tracing/trace_pipe
"""
from ebpfpy import bpf_program, helpers, i32

my_pid: i32 = 0


@bpf_program("tracepoint/syscalls/sys_enter_write")
def handle_tp(ctx) -> int:
    pid = i32(helpers.get_current_pid_tgid() >> 32)
    if pid != my_pid:
        return 0
    helpers.printk("BPF triggered from PID %d.\n", pid)
    return 0


def main(argv=None) -> None:
    import os
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser

    args = base_parser("Print from write(2) calls of this process.").parse_args(argv)
    with ebpfpy.load(__file__) as obj:
        obj.globals.my_pid = os.getpid()
        obj.programs.handle_tp.attach()
        print("Successfully started! Please run `sudo cat /sys/kernel/debug/tracing/trace_pipe` "
              "to see output of the BPF programs.", flush=True)
        stop = Interrupted()
        end = time.monotonic() + args.duration if args.duration else None
        while not stop.exiting and (end is None or time.monotonic() < end):
            sys.stderr.write(".")
            sys.stderr.flush()
            time.sleep(1)


if __name__ == "__main__":
    main()
