# expect: E043 7:14
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    x = helpers.ktime_get_ns()
    y = x << 64
    return 0
