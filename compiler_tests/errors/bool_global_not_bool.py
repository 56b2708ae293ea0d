# expect: E041 4:17
from ebpfpy import bpf_program

verbose: bool = 2

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
