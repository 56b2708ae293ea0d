# expect: E018 5:11
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def twice(größe: u32) -> u32:
    return größe * 2

@bpf_program("syscall")
def main(ctx) -> int:
    return twice(1)
