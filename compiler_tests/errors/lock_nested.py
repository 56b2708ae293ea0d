# expect: E323 22:9
from ebpfpy import Array, SpinLock, bpf_program, helpers, struct, u32, u64


@struct
class Counter:
    lock: SpinLock
    n: u64


counters = Array(Counter, 2)


@bpf_program("syscall")
def main(ctx) -> int:
    v = counters.lookup(0)
    w = counters.lookup(1)
    if v is None or w is None:
        return 0
    with v.lock:
        v.n += 1
        with w.lock:
            w.n += 1
    return 0
