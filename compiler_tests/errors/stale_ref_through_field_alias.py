# expect: E178 23:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class Inner:
    n: u64

@struct
class Stat:
    inner: Inner
    total: u64

stats = HashMap(u32, Stat, max_entries=8)

@bpf_program("syscall")
def main(ctx) -> int:
    s = stats.lookup(1)
    if s is None:
        return 0
    inner = s.inner
    total = s.total
    stats[1] = Stat()
    inner.n += total
    return 0
