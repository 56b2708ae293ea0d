# expect: E194 7:11
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    a = u8[16]()
    b = a[2:4]
    return 0
