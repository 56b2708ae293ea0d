# expect: E149 10:13
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def add(a: u32, b: u32) -> u32:
    return a + b

@bpf_program("syscall")
def main(ctx) -> int:
    y = add(a=1, b=2)
    return 0
