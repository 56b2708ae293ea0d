# expect: E048 4:11
from ebpfpy import bpf_program, Const, u32

targ_pid: Const[u32, u32] = 0

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
