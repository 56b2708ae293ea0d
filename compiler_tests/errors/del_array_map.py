# expect: E207 8:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

arr = Array(u64, 8)

@bpf_program("syscall")
def main(ctx) -> int:
    del arr[1]
    return 0
