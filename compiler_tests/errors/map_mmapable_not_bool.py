# expect: E056 4:29
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

m = Array(u64, 16, mmapable=1)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
