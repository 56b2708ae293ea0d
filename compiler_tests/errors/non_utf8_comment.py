# expect: E001 6:10
from ebpfpy import bpf_program

@bpf_program("syscall")
def main(ctx) -> int:
    # café
    return 0
