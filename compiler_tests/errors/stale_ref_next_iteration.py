# expect: E178 12:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

h = HashMap(u32, u64, max_entries=8)

@bpf_program("syscall")
def main(ctx) -> int:
    r = h.lookup(0)
    if r is None:
        return 0
    for i in range(4):
        r.value += 1
        h[u32(i)] = 0
    return 0
