# expect: E140 9:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

min = 3

@bpf_program("syscall")
def main(ctx) -> int:
    a = helpers.get_prandom_u32()
    y = min(a, 4)
    return 0
