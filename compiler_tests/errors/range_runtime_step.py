# expect: E091 7:27
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    s = helpers.get_prandom_u32()
    for i in range(0, 10, s):
        pass
    return 0
