# expect: E001 7:1
from ebpfpy import bpf_program

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
â‚