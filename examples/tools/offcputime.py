"""offcputime: how long each stack spent blocked (off CPU), in microseconds, folded.

A port of libbpf-tools' offcputime.  At every ``sched_switch`` (a BTF tracepoint whose
``prev`` and ``next`` are typed ``task_struct`` pointers) the task leaving the CPU is still
current, so ``stacks.get_stackid(ctx, ...)`` records where it blocked, with the time; when the
task runs again the time it was away is added to its (pid, stacks) key.  Userspace names the
addresses with :mod:`ebpfpy.symbols`.

    sudo python examples/tools/offcputime.py [SECONDS] [PID]
"""
from ebpfpy import (BPF_F_USER_STACK, HashMap, StackTraceMap, bpf_program, helpers, i32, struct,
                    u8, u32, u64)
from ebpfpy.kernel import task_struct  # noqa: F401  (the kernel type read below)


@struct
class Key:
    pid: u32
    kstack: i32
    ustack: i32
    comm: u8[16]


@struct
class Start:
    ts: u64
    key: Key


stacks = StackTraceMap(16384, depth=127)
starts = HashMap(u32, Start, max_entries=16384)      # thread id -> when and where it blocked
off_us = HashMap(Key, u64, max_entries=16384)         # total microseconds off CPU per key
target_pid: u32 = 0                                    # 0: every process


@bpf_program("tp_btf/sched_switch")
def on_switch(ctx) -> int:
    prev_tgid = u32(ctx.prev.tgid)
    if prev_tgid != 0 and (target_pid == 0 or prev_tgid == target_pid):
        s = Start(ts=helpers.ktime_get_ns())
        s.key.pid = prev_tgid
        s.key.kstack = i32(stacks.get_stackid(ctx, 0))
        s.key.ustack = i32(stacks.get_stackid(ctx, BPF_F_USER_STACK))
        s.key.comm = ctx.prev.comm
        starts[u32(ctx.prev.pid)] = s
    tid = u32(ctx.next.pid)
    r = starts.lookup(tid)
    if r is None:
        return 0
    off_us[r.key] += (helpers.ktime_get_ns() - r.ts) // 1000
    del starts[tid]
    return 0


def folded(obj, pid_symbols: dict) -> list[tuple[str, int]]:
    """``(comm;user frames outermost first;kernel frames, microseconds)``, longest first.

    ``pid_symbols``: pid -> :class:`~ebpfpy.symbols.UserSymbols` (made while they live)."""
    from ebpfpy.symbols import KernelSymbols, symbolize
    ksyms = KernelSymbols()
    out: dict[str, int] = {}
    for k, us in obj.maps.off_us.items():
        frames = []
        if k.ustack >= 0 and k.ustack in obj.maps.stacks:
            frames += reversed(symbolize(obj.maps.stacks[k.ustack], user=pid_symbols.get(k.pid)))
        if k.kstack >= 0 and k.kstack in obj.maps.stacks:
            frames += reversed(symbolize(obj.maps.stacks[k.kstack], kernel=ksyms))
        comm = bytes(k.comm).split(b"\0", 1)[0].decode("utf-8", "replace")
        line = ";".join([comm] + [f.split(" [")[0].split("+0x")[0] for f in frames])
        out[line] = out.get(line, 0) + us
    return sorted(out.items(), key=lambda kv: -kv[1])


if __name__ == "__main__":
    import sys
    import time

    import ebpfpy
    from ebpfpy.symbols import UserSymbols
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    with ebpfpy.load(__file__) as obj:
        if len(sys.argv) > 2:
            obj.globals.target_pid = int(sys.argv[2])
        with obj.programs.on_switch.attach():
            time.sleep(seconds)
        syms = {}
        for k in obj.maps.off_us.keys():
            try:
                syms.setdefault(k.pid, UserSymbols(k.pid))
            except OSError:
                pass                                # the process has exited
        for line, us in folded(obj, syms):
            print(line, us)
