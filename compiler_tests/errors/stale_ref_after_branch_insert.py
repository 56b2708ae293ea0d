# expect: E178 17:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

seen = LruHashMap(u32, u64, max_entries=4)

@bpf_function
def note(k: u32) -> None:
    seen[k] += 1

@bpf_program("syscall")
def main(ctx) -> int:
    r = seen.lookup(7)
    if r is None:
        return 0
    if helpers.get_prandom_u32() & 1:
        note(3)
    return i32(r.value)
