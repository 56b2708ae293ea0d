# expect: E016 5:2
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
@bpf_program("xdp")
def main(ctx) -> int:
    return 0
