# expect: E240 5:1
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_function
def scratch(x: u32) -> u32:
    buf = u64[80]()
    buf[0] = x
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    return scratch(1)
