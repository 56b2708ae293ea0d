"""Broken on purpose (step 4): a `while` loop has no bound the verifier could see."""
from ebpfpy import bpf_program, struct, u32


@struct
class Collatz:
    n: u32


@bpf_program("syscall")
def steps(ctx: Collatz) -> int:
    n = ctx.n
    while n > 1:                # expect: E090 13:5
        n = n // 2 if n % 2 == 0 else 3 * n + 1
    return 0
