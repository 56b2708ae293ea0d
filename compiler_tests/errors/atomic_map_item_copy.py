# expect: E189 9:24
from ebpfpy import HashMap, bpf_program, helpers, u32, u64

counts = HashMap(u32, u64, 16)


@bpf_program("syscall")
def main(ctx) -> int:
    helpers.atomic_add(counts[1], 1)
    return 0
