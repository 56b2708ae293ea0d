# expect: E240 10:1
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def inner(x: u32) -> u32:
    buf = u8[300]()
    return x

@bpf_program("syscall")
def main(ctx) -> int:
    buf = u8[300]()
    return inner(1)
