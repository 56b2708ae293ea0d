# expect: E210 13:5
# expect: E210 14:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class P:
    x: u32

@bpf_program("syscall")
def main(ctx) -> int:
    p = P()
    x: u32 = 1
    x: u64 = 2
    p = u8[4]()
    return 0
