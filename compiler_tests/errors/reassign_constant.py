# expect: E214 8:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

LIMIT = 10

@bpf_program("syscall")
def main(ctx) -> int:
    LIMIT = 11
    return 0
