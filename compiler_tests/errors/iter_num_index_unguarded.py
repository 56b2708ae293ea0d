# expect: E071 11:22
from ebpfpy import bpf_program, struct, Array, helpers, u32, u64, i32

table = Array(u64, 64)

@bpf_program("syscall")
def main(ctx) -> int:
    arr = u8[64]()
    total: u64 = 0
    for i in helpers.iter_num(0, 64):
        total += arr[i]
    return 0
