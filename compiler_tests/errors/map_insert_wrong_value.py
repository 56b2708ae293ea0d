# expect: E106 12:21
from ebpfpy import bpf_program, struct, HashMap, u32, u64

@struct
class P:
    x: u32

start = HashMap(u32, u64, max_entries=16)

@bpf_program("syscall")
def main(ctx) -> int:
    start.insert(1, P())
    return 0
