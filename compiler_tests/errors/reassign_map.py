# expect: E214 8:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

counts = HashMap(u32, u64, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    counts = 5
    return 0
