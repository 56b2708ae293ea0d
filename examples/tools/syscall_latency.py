"""syscall_latency: a log2 histogram of how long system calls take, in nanoseconds.

Like BCC's ``syscount -L`` / bpftrace's ``@ns = hist(nsecs - @start[tid])``: the raw
tracepoint ``sys_enter`` stores a timestamp keyed by ``pid_tgid``; ``sys_exit`` takes the
difference and counts it in bucket ``floor(log2(ns))`` of an array.  Set ``target_pid`` to
watch one process only (0: every process).

    sudo ebpfpy run examples/tools/syscall_latency.py --duration 5
    sudo python examples/tools/syscall_latency.py [PID]
"""
from ebpfpy import Array, HashMap, bpf_function, bpf_program, helpers, u32, u64

start = HashMap(u64, u64, max_entries=16384)        # pid_tgid -> ktime at entry
latency_hist = Array(u64, 64)                        # bucket k: [2^k, 2^(k+1)) ns
target_pid: u32 = 0


@bpf_program("raw_tp/sys_enter")
def on_enter(ctx) -> int:
    id = helpers.get_current_pid_tgid()
    if target_pid != 0 and u32(id >> 32) != target_pid:
        return 0
    start[id] = helpers.ktime_get_ns()
    return 0


@bpf_program("raw_tp/sys_exit")
def on_exit(ctx) -> int:
    id = helpers.get_current_pid_tgid()
    t0 = start.lookup(id)
    if t0 is None:
        return 0
    delta = helpers.ktime_get_ns() - t0.value
    del start[id]
    bucket = log2(delta)
    latency_hist[bucket] += 1
    return 0


@bpf_function
def log2(v: u64) -> u32:
    """floor(log2(v)); 0 for 0 and 1."""
    r = u32(0)
    for i in range(1, 64):
        if (v >> i) != 0:
            r = u32(i)
    return r


if __name__ == "__main__":
    import sys
    import time

    import ebpfpy
    with ebpfpy.load(__file__) as obj:
        obj.globals.target_pid = int(sys.argv[1]) if len(sys.argv) > 1 else 0
        with obj.programs.on_enter.attach(), obj.programs.on_exit.attach():
            try:
                time.sleep(5)
            except KeyboardInterrupt:
                pass
        hist = obj.maps.latency_hist
        for k in range(64):
            if hist[k]:
                print(f"[{1 << k}, {1 << (k + 1)}) ns  {hist[k]}")
