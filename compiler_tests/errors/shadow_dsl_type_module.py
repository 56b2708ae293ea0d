# expect: E060 10:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

def len(x):
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    a = u8[4]()
    n = len(a)
    return 0
