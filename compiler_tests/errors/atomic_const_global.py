# expect: E218 9:24
from ebpfpy import Const, bpf_program, helpers, u64

limit: Const[u64] = 10


@bpf_program("syscall")
def main(ctx) -> int:
    helpers.atomic_add(limit, 1)
    return 0
