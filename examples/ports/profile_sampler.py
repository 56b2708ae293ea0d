"""profile: sample every online CPU with a perf event and print each sample's command, pid,
CPU and symbolized kernel and user stacks.

Port of libbpf-bootstrap's examples/c/profile.bpf.c, profile.c and profile.h
(github.com/libbpf/libbpf-bootstrap): ``profile`` (a ``perf_event`` program) fills a
``struct stacktrace_event`` (pid, CPU, comm, ``bpf_get_stack`` of the kernel and the user
stack, 128 frames each) in a ring buffer; userspace opens a perf event per online CPU
(``-f`` Hz, hardware cycles or ``--sw-event``'s cpu-clock), attaches, and prints each stack
as the original does, frame by frame: ``ADDR: NAME @ START+OFFSET``.  Names come from
``ebpfpy.symbols`` (``/proc/kallsyms``, and each process's ELF symbols) instead of blazesym,
so frames carry no source file and line and no inlined functions (blazesym reads DWARF).
Named profile_sampler.py, not profile.py, which would shadow Python's own ``profile``
module for scripts in this directory.  Left out: nothing else.

    sudo python examples/ports/profile_sampler.py [-f FREQUENCY] [--sw-event]
"""
from ebpfpy import BPF_F_USER_STACK, RingBuf, bpf_program, helpers, i32, struct, u8, u32, u64

TASK_COMM_LEN = 16
MAX_STACK_DEPTH = 128


@struct
class StacktraceEvent:
    pid: u32
    cpu_id: u32
    comm: u8[TASK_COMM_LEN]
    kstack_sz: i32
    ustack_sz: i32
    kstack: u64[MAX_STACK_DEPTH]
    ustack: u64[MAX_STACK_DEPTH]


events = RingBuf(256 * 1024, event=StacktraceEvent)


@bpf_program("perf_event")
def profile(ctx) -> int:
    event = events.reserve()
    if event is None:
        return 1
    event.pid = u32(helpers.get_current_pid_tgid() >> 32)
    event.cpu_id = helpers.get_smp_processor_id()
    event.comm = helpers.get_current_comm()
    event.kstack_sz = i32(helpers.get_stack(ctx, event.kstack, 0))
    event.ustack_sz = i32(helpers.get_stack(ctx, event.ustack, BPF_F_USER_STACK))
    events.submit(event)
    return 0


class _PerfEventAttr(__import__("ctypes").Structure):
    """The leading fields of ``struct perf_event_attr``; the rest stays zero."""

    import ctypes as _c
    _fields_ = [("type", _c.c_uint32), ("size", _c.c_uint32), ("config", _c.c_uint64),
                ("sample_freq", _c.c_uint64), ("sample_type", _c.c_uint64),
                ("read_format", _c.c_uint64), ("flags", _c.c_uint64), ("_rest", _c.c_uint8 * 96)]


def online_cpus(path: str = "/sys/devices/system/cpu/online") -> list[int]:
    """libbpf's ``parse_cpu_mask_file``: ``0-3,5`` as ``[0, 1, 2, 3, 5]``."""
    cpus: list[int] = []
    with open(path) as f:
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            cpus += range(int(lo), int(hi or lo) + 1)
    return cpus


def perf_event_open(sw_event: bool, freq: int, cpu: int) -> int:
    """A sampling perf event on ``cpu`` for every process (pid -1); its fd, or -errno."""
    import ctypes
    import platform
    libc = ctypes.CDLL(None, use_errno=True)
    attr = _PerfEventAttr(type=1 if sw_event else 0, config=0, sample_freq=freq,
                          flags=1 << 10)    # PERF_TYPE_SOFTWARE/HARDWARE, CPU_CLOCK/CPU_CYCLES, freq
    attr.size = ctypes.sizeof(attr)
    nr = {"x86_64": 298, "aarch64": 241}[platform.machine()]
    fd = libc.syscall(nr, ctypes.byref(attr), -1, cpu, -1, 8)      # PERF_FLAG_FD_CLOEXEC
    return fd if fd >= 0 else -ctypes.get_errno()


def main(argv=None) -> int:
    import argparse
    import errno
    import sys

    import ebpfpy
    from ebpfpy.symbols import KernelSymbols, UserSymbols
    from trace_helpers import poll_events, text

    p = argparse.ArgumentParser(description="Sample stack traces on every CPU.")
    p.add_argument("-f", type=int, default=1, dest="freq", help="Sampling frequency [default: 1]")
    p.add_argument("--sw-event", action="store_true",
                   help="Use software event for triggering stack trace capture")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    freq = max(args.freq, 1)
    ksyms = KernelSymbols()

    users: dict = {}

    def show_stack_trace(stack, pid: int) -> None:
        table = ksyms
        if pid:
            if pid not in users:                # each process's maps and ELFs, read once
                try:
                    users[pid] = UserSymbols(pid)
                except OSError:
                    users[pid] = None           # the process is gone
            table = users[pid]
        for addr in stack:
            sym = table.resolve(addr) if table is not None else None
            if sym is None:
                print(f"{addr:016x}: <no-symbol>")
            else:
                print(f"{addr:016x}: {sym.name} @ {addr - sym.offset:#x}+{sym.offset:#x}")

    def handle(e) -> None:
        if e.kstack_sz <= 0 and e.ustack_sz <= 0:
            return
        print(f"COMM: {text(e.comm)} (pid={e.pid}) @ CPU {e.cpu_id}")
        if e.kstack_sz > 0:
            print("Kernel:")
            show_stack_trace(e.kstack[:e.kstack_sz // 8], 0)
        else:
            print("No Kernel Stack")
        if e.ustack_sz > 0:
            print("Userspace:")
            show_stack_trace(e.ustack[:e.ustack_sz // 8], e.pid)
        else:
            print("No Userspace Stack")
        print(flush=True)

    with ebpfpy.load(__file__) as obj:
        links = []
        try:
            for cpu in online_cpus():
                fd = perf_event_open(args.sw_event, freq, cpu)
                if fd < 0:
                    print("Fail to set up performance monitor on a CPU/Core.", file=sys.stderr)
                    if not args.sw_event and -fd == errno.ENOENT:
                        print("Try running the profile example with the `--sw-event` option.",
                              file=sys.stderr)
                    return 1
                links.append(obj.programs.profile.attach(pfd=fd))     # the link owns the fd
            poll_events(obj.maps.events, handle, args.duration)
        finally:
            for link in links:
                link.detach()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
