# expect: E188 18:28
from ebpfpy import Array, bpf_program, helpers, struct, u16, u64


@struct
class Stats:
    small: u16
    big: u64


stats = Array(Stats, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    r = stats.lookup(0)
    if r is not None:
        helpers.atomic_add(r.small, 1)
    return 0
