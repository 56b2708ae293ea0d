# expect: E105 11:10
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def take(x: u8) -> u8:
    return x

@bpf_program("syscall")
def main(ctx) -> int:
    v = helpers.get_prandom_u32()
    take(v)
    return 0
