"""A small program for the picture of the verifier's walk (scripts/gen_pictures.py).

A loop whose bound the verifier knows, with a branch inside: the verifier walks every
iteration, follows one side of each branch and saves the other for later, and stops early on
a path whose state it has already seen (pruning).
"""
from ebpfpy import bpf_program, struct, Array, u32, u64


@struct
class Bits:
    x: u32
    n: u32


seen = Array(u64, 8)          # how often each bit was set


@bpf_program("syscall")
def count_bits(ctx: Bits) -> int:
    x = ctx.x
    for i in range(min(ctx.n, 5)):
        if (x >> i) & 1:
            seen[i] += 1
    return 0
