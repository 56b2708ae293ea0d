# expect: E143 8:8
from ebpfpy import bpf_program, HashMap, u32, u64

start = HashMap(u32, u64, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    if start.replace(1):
        return 1
    return 0
