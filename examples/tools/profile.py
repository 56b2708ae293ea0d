"""profile: sample every CPU's stacks at a fixed rate and print them folded, hottest first.

A port of libbpf-tools' profile.  A ``perf_event`` program runs on each CPU's software
cpu-clock event; it records the kernel and user stack ids of the running task
(``stacks.get_stackid``) and counts each (pid, kernel stack, user stack, comm).  Userspace
turns the addresses into names with :mod:`ebpfpy.symbols` (``/proc/kallsyms`` and each
process's ELF symbols) and prints flame-graph input: ``comm;user frames;kernel frames N``.

    sudo python examples/tools/profile.py [SECONDS] [PID]
"""
import contextlib
import ctypes
import os
import platform
import time

from ebpfpy import (BPF_F_USER_STACK, HashMap, StackTraceMap, bpf_program, helpers, i32, struct,
                    u8, u32, u64)


@struct
class Key:
    pid: u32
    kstack: i32          # negative: no stack of that kind (e.g. no kernel stack in user mode)
    ustack: i32
    comm: u8[16]


stacks = StackTraceMap(16384, depth=127)
counts = HashMap(Key, u64, max_entries=16384)
target_pid: u32 = 0      # 0: every process


@bpf_program("perf_event")
def on_sample(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    if pid == 0 or (target_pid != 0 and pid != target_pid):
        return 0                                    # the idle task, or not the one asked for
    k = Key(pid=pid)
    k.kstack = i32(stacks.get_stackid(ctx, 0))
    k.ustack = i32(stacks.get_stackid(ctx, BPF_F_USER_STACK))
    k.comm = helpers.get_current_comm()
    counts[k] += 1
    return 0


class _PerfEventAttr(ctypes.Structure):
    """The leading fields of ``struct perf_event_attr``; the rest stays zero."""

    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32), ("config", ctypes.c_uint64),
                ("sample_freq", ctypes.c_uint64), ("sample_type", ctypes.c_uint64),
                ("read_format", ctypes.c_uint64), ("flags", ctypes.c_uint64),
                ("_rest", ctypes.c_uint8 * 96)]


_FREQ_FLAG = 1 << 10                  # perf_event_attr.freq: sample_freq is in Hz
_NR_PERF_EVENT_OPEN = {"x86_64": 298, "aarch64": 241}


def cpu_clock(cpu: int, hz: int) -> int:
    """A software cpu-clock perf event on ``cpu`` sampling ``hz`` times a second (its fd)."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = _PerfEventAttr(type=1, config=0, sample_freq=hz, flags=_FREQ_FLAG)  # software cpu-clock
    attr.size = ctypes.sizeof(attr)
    fd = libc.syscall(_NR_PERF_EVENT_OPEN[platform.machine()], ctypes.byref(attr), -1, cpu, -1, 8)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"perf_event_open on CPU {cpu}: {os.strerror(err)}")
    return fd


@contextlib.contextmanager
def sampling(obj, hz: int = 99):
    """The program attached to every usable CPU's clock while the block runs."""
    links = []
    try:
        for cpu in sorted(os.sched_getaffinity(0)):
            links.append(obj.programs.on_sample.attach(pfd=cpu_clock(cpu, hz)))  # owns the fd
        yield
    finally:
        for link in links:
            link.detach()


def folded(obj, pid_symbols: dict) -> list[tuple[str, int]]:
    """``(comm;user frames outermost first;kernel frames, count)``, hottest first.

    ``pid_symbols``: pid -> :class:`~ebpfpy.symbols.UserSymbols` (made while they live)."""
    from ebpfpy.symbols import KernelSymbols, symbolize
    ksyms = KernelSymbols()
    out: dict[str, int] = {}
    for k, n in obj.maps.counts.items():
        frames = []
        if k.ustack >= 0 and k.ustack in obj.maps.stacks:
            frames += reversed(symbolize(obj.maps.stacks[k.ustack], user=pid_symbols.get(k.pid)))
        if k.kstack >= 0 and k.kstack in obj.maps.stacks:
            frames += reversed(symbolize(obj.maps.stacks[k.kstack], kernel=ksyms))
        comm = bytes(k.comm).split(b"\0", 1)[0].decode("utf-8", "replace")
        line = ";".join([comm] + [f.split(" [")[0].split("+0x")[0] for f in frames])
        out[line] = out.get(line, 0) + n
    return sorted(out.items(), key=lambda kv: -kv[1])


if __name__ == "__main__":
    import sys

    import ebpfpy
    from ebpfpy.symbols import UserSymbols
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    with ebpfpy.load(__file__) as obj:
        if len(sys.argv) > 2:
            obj.globals.target_pid = int(sys.argv[2])
        with sampling(obj):
            time.sleep(seconds)
        syms = {}
        for k in obj.maps.counts.keys():
            try:
                syms.setdefault(k.pid, UserSymbols(k.pid))
            except OSError:
                pass                                # the process has exited
        for line, n in folded(obj, syms):
            print(line, n)
