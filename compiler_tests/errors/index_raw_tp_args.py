# expect: E072 6:18
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("raw_tp/sys_enter")
def main(ctx) -> int:
    x = ctx.args[12]
    return 0
