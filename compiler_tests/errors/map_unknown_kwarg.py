# expect: E050 4:45
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

m = HashMap(u32, u64, max_entries=16, flags=1)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
