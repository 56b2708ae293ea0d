"""Broken on purpose (step 2): an array index the verifier cannot prove in range."""
from ebpfpy import bpf_program, struct, u32, u64


@struct
class Hist:
    slot: u32
    counts: u64[64]


@bpf_program("syscall")
def bump(ctx: Hist) -> int:
    ctx.counts[ctx.slot] += 1   # expect: E071 13:16
    return 0
