# expect: E098 10:13
from ebpfpy import bpf_program, struct, Array, helpers, u32, u64, i32

table = Array(u64, 64)

@bpf_program("syscall")
def main(ctx) -> int:
    for i in helpers.iter_num(0, 10):
        if i == 3:
            return 1
    return 0
