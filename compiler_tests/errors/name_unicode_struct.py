# expect: E018 5:7
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class Größe:
    x: u32

sizes = HashMap(u32, Größe, max_entries=4)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
