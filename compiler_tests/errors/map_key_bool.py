# expect: E054 4:13
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

m = HashMap(bool, u64, 16)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
