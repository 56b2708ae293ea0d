"""Step 4, the mistake: a ``while`` loop (a compile error whose note shows the bounded rewrite).

    ebpfpy check examples/tutorial/04_while.py
"""
from ebpfpy import bpf_program, struct, u64


@struct
class Collatz:
    n: u64
    steps: u64


@bpf_program("syscall")
def collatz(ctx: Collatz) -> int:
    n = ctx.n
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        ctx.steps += 1
    return 0
