# expect: E177 5:13
from ebpfpy import bpf_program, u8
@bpf_program("syscall")
def p(ctx) -> int:
    c: u8 = ord("ab")
    return c
