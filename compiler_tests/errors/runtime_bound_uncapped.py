# expect: E094 10:20
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

counts = HashMap(u32, u64, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    n = counts[0]
    total = u64(0)
    for i in range(n):
        total += 1
    return 0
