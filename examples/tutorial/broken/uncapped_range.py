"""Broken on purpose (step 4): a loop bounded only by a runtime value."""
from ebpfpy import bpf_program, struct, u32, u64


@struct
class Job:
    n: u32
    total: u64


@bpf_program("syscall")
def work(ctx: Job) -> int:
    for i in range(ctx.n):      # expect: E094 13:20
        ctx.total += u64(i)
    return 0
