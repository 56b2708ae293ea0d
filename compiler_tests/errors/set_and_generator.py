# expect: E100 7:9
# expect: E100 8:13
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    s = {i for i in range(4)}
    t = min((i for i in range(4)), 3)
    return 0
