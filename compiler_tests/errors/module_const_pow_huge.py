# expect: E042 4:8
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

HUGE = 10 ** 100

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
