# expect: E323 20:9
from ebpfpy import Array, SpinLock, bpf_program, helpers, struct, u32, u64


@struct
class Counter:
    lock: SpinLock
    n: u64


counters = Array(Counter, 2)


@bpf_program("syscall")
def main(ctx) -> int:
    v = counters.lookup(0)
    if v is None:
        return 0
    with v.lock:
        for i in helpers.iter_num(0, 4):
            v.n += 1
    return 0
