# expect: E178 20:20
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class Stat:
    n: u64

stats = HashMap(u32, Stat, max_entries=8)

@bpf_function
def bump_and_clear(s: Stat) -> None:
    del stats[0]
    s.n += 1

@bpf_program("syscall")
def main(ctx) -> int:
    s = stats.lookup(1)
    if s is None:
        return 0
    bump_and_clear(s)
    return 0
