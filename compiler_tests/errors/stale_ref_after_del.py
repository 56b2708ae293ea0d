# expect: E178 15:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class Stat:
    n: u64

stats = HashMap(u32, Stat, max_entries=8)

@bpf_program("syscall")
def main(ctx) -> int:
    s = stats.lookup(1)
    if s is not None:
        del stats[1]
        s.n += 1
    return 0
