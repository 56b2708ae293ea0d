# expect: E040 6:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

import os
N = os.cpu_count()
m = Array(u64, N)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
