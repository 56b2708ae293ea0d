# expect: E175 8:8
from ebpfpy import bpf_program, Array, u64

counts = Array(u64, 4)

@bpf_program("syscall")
def main(ctx) -> int:
    if counts.insert(0, 1):
        return 1
    return 0
