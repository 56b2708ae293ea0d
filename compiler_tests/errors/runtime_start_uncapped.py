# expect: E094 7:20
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    lo = helpers.get_prandom_u32()
    for i in range(lo, 100):
        pass
    return 0
