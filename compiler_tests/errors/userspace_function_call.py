# expect: E060 9:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

def plain_python(x):
    return x + 1

@bpf_program("syscall")
def main(ctx) -> int:
    y = plain_python(3)
    return 0
