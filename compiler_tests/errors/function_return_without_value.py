# expect: E204 7:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def f(x: u32) -> u32:
    if x > 3:
        return
    return x

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
