# expect: E178 18:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

counts = HashMap(u32, i64, max_entries=8)

@bpf_function
def rotate(k: u32) -> i64:
    del counts[k]
    counts[k + 1] = 5
    return 1

@bpf_program("syscall")
def main(ctx) -> int:
    r = counts.lookup(1)
    if r is None:
        return 0
    # the call runs between the read and the write of r.value: the write is stale
    r.value -= rotate(1)
    return 0
