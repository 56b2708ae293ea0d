# expect: E230 8:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def fact(n: u32) -> u64:
    if n <= 1:
        return 1
    return n * fact(n - 1)

@bpf_program("syscall")
def main(ctx) -> int:
    return fact(5)
