# expect: E071 8:11
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    a = u8[16]()
    for i in range(17):
        a[i] = 1
    return 0
