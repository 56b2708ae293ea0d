# expect: E222 5:1
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def f(a: u32, b: u32, c: u32, d: u32, e: u32, g: u32) -> u32:
    return a

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
