# expect: E047 8:13
from ebpfpy import bpf_program, struct, Const, u32

@struct
class Filter:
    pid: u32

targ: Const[Filter]

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
