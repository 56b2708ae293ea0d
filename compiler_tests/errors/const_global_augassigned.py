# expect: E218 9:5
from ebpfpy import bpf_program, Const, u64

min_us: Const[u64] = 10

@bpf_program("syscall")
def main(ctx) -> int:
    global min_us
    min_us += 1
    return 0
