# expect: E018 4:1
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

zähler = HashMap(u32, u64, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    zähler[1] = 1
    return 0
