# expect: E071 12:7
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

idx = Array(u32, 1)
buf = Array(u8[64], 1)

@bpf_program("syscall")
def main(ctx) -> int:
    b = buf.lookup(0)
    if b is None:
        return 0
    b[idx[0]] = 7
    return 0
