# expect: E218 8:5
from ebpfpy import bpf_program, Const, u16

ports: Const[u16[4]]

@bpf_program("syscall")
def main(ctx) -> int:
    ports[0] = 80
    return 0
