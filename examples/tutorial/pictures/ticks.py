"""A timer that re-arms itself every millisecond and records when each callback ran
(for the picture in scripts/gen_pictures.py)."""
from ebpfpy import bpf_program, bpf_function, struct, Array, Timer, helpers, u32, u64

N = 64                        # callbacks recorded


@struct
class Rec:
    timer: Timer
    count: u64
    at: u64[64]               # ktime of each callback


rec = Array(Rec, 1)


@bpf_function
def tick(m, key: u32, r: Rec) -> int:
    i = r.count
    if i < N:
        r.at[i & (N - 1)] = helpers.ktime_get_ns()
        r.count = i + 1
        r.timer.start(1_000_000)   # again in 1 ms
    return 0


@bpf_program("syscall")
def start(ctx) -> int:
    r = rec.lookup(0)
    if r is None:
        return 1
    r.timer.init(rec)
    r.timer.set_callback(tick)
    r.timer.start(0)
    return 0
