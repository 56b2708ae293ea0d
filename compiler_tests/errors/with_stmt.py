# expect: E322 6:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    with open("/etc/passwd") as f:
        pass
    return 0
