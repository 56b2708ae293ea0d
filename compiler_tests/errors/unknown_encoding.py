# expect: E001 2:11
# coding: no-such-codec
from ebpfpy import bpf_program

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
