# expect: E045 4:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

QUARTER = 2 ** -2

@bpf_program("syscall")
def main(ctx) -> int:
    return QUARTER
