# expect: E043 8:14
# expect: E043 9:11
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    x = u8(helpers.get_prandom_u32())
    y = x >> -1
    x <<= 8
    return 0
