# expect: E070 17:9
# expect: E070 20:9
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
    if s is None or helpers.get_prandom_u32() > 5:
        s.count = 0
    t = stats.lookup(2)
    if t is not None or helpers.get_prandom_u32() > 5:
        t.count = 0
    return 0
