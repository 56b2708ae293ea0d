# expect: E102 8:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    a = u64(0)
    b = i32(helpers.get_prandom_u32())
    a += b
    return 0
