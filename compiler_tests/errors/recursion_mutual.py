# expect: E230 14:12
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def even(n: u32) -> u32:
    if n == 0:
        return 1
    return odd(n - 1)

@bpf_function
def odd(n: u32) -> u32:
    if n == 0:
        return 0
    return even(n - 1)

@bpf_program("syscall")
def main(ctx) -> int:
    return even(4)
