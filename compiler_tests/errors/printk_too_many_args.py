# expect: E154 20:104
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class S:
    a: u32
    b: u64

@bpf_function
def add(x: u32, y: u32) -> u32:
    return x + y

@bpf_function
def fill(s: S) -> int:
    s.a = 1
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    helpers.printk("%d %d %d %d %d %d %d %d %d %d %d %d %d \n", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
    return 0
