# expect: E115 12:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class P:
    x: u32

@bpf_program("syscall")
def main(ctx) -> int:
    p = P()
    q = P(x=1)
    r = p if helpers.get_prandom_u32() else q
    return 0
