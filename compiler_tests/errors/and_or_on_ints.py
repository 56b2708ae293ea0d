# expect: E104 10:9
# expect: E104 10:15
# expect: E104 11:20
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    a = helpers.get_prandom_u32()
    b = helpers.get_prandom_u32()
    c = a and b
    d = (a > 1) or b
    return 0
