# expect: E072 8:10
# expect: E072 9:7
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    g = u16[2][3]()
    g[1][3] = 1
    g[2][0] = 1
    return 0
