# expect: E046 4:14
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

limit: u32 = 100 // 0

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
