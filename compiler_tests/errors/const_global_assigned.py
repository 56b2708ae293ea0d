# expect: E218 9:5
from ebpfpy import bpf_program, Const, u32

targ_pid: Const[u32] = 0

@bpf_program("syscall")
def main(ctx) -> int:
    global targ_pid
    targ_pid = 5
    return 0
