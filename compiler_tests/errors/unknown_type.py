# expect: E038 5:10
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def f(x: Foo) -> u32:
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
