# expect: E105 8:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

small = HashMap(u32, u8, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    small[0] = helpers.get_prandom_u32()
    return 0
