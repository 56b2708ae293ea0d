# expect: E189 8:24
from ebpfpy import bpf_program, helpers, u64


@bpf_program("syscall")
def main(ctx) -> int:
    n = u64(0)
    helpers.atomic_add(n, 1)
    return 0
