# expect: E046 4:8
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

MASK = 7 % (4 - 4)

@bpf_program("syscall")
def main(ctx) -> int:
    return MASK
