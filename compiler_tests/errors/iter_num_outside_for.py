# expect: E095 8:9
from ebpfpy import bpf_program, struct, Array, helpers, u32, u64, i32

table = Array(u64, 64)

@bpf_program("syscall")
def main(ctx) -> int:
    x = helpers.iter_num(0, 10)
    return 0
