# expect: E041 4:23
from ebpfpy import bpf_program, Const, u8

targ_cpu: Const[u8] = 256

@bpf_program("syscall")
def main(ctx) -> int:
    return targ_cpu
