# expect: E197 13:22
from ebpfpy import bpf_program, union, i64, u32, u64


@union
class Num:
    whole: u64
    half: u32


@bpf_program("syscall")
def main(ctx) -> int:
    n = Num(whole=1, half=2)
    return i64(n.half)
