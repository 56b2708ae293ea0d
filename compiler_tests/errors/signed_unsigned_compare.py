# expect: E102 8:8
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    a = i64(helpers.get_prandom_u32())
    b = helpers.ktime_get_ns()
    if a < b:
        return 1
    return 0
