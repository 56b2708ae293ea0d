# expect: E191 9:11
from ebpfpy import bpf_program, helpers, u64

total: u64 = 0


@bpf_program("syscall")
def main(ctx) -> int:
    old = helpers.atomic_add(total, 1)
    return 0
