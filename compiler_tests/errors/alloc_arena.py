# expect: E326 4:9
from ebpfpy import bpf_program

arena = Arena(100)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
