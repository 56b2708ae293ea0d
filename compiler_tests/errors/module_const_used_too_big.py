# expect: E041 9:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

BIG = 1 << 70

@bpf_program("syscall")
def main(ctx) -> int:
    x = helpers.ktime_get_ns()
    return x > BIG
