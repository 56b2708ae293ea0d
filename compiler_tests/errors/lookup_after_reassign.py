# expect: E070 19:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class Stat:
    count: u64
    last: u64

stats = HashMap(u32, Stat, max_entries=64)
vals = HashMap(u32, u64, max_entries=64)

@bpf_program("syscall")
def main(ctx) -> int:
    s = stats.lookup(1)
    if s is None:
        return 0
    s.count += 1
    s = stats.lookup(2)
    s.count += 1
    return 0
