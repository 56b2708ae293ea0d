"""Step 4: bounded loops — the verifier must see that every loop ends.

    python examples/tutorial/04_loops.py

A loop's bound is a constant, or a runtime value capped by a constant: ``range(min(n, 1000))``.
``while`` is refused (see 04_while.py); so is ``range(n)`` with an uncapped ``n``.
``helpers.loop(n, fn, ref)`` is ``bpf_loop``: the kernel calls ``fn`` up to ``n`` times.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, u32, u64

MAX_STEPS = 1000


@struct
class Collatz:
    n: u64            # in: the start; out: where it stopped (1 when it got there)
    steps: u32        # out: the steps taken, at most MAX_STEPS
    limit: u32        # in: give up after this many steps


@bpf_program("syscall")
def collatz(ctx: Collatz) -> int:
    """Steps of the Collatz sequence from ctx.n down to 1, a runtime-bounded loop."""
    n = ctx.n
    steps: u32 = 0
    for i in range(min(ctx.limit, MAX_STEPS)):
        if n <= 1:
            break
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    ctx.n = n
    ctx.steps = steps
    return 0


@struct
class Acc:
    total: u64


@bpf_function
def add_square(i: u32, acc: Acc) -> int:
    acc.total += u64(i) * u64(i)
    return 0          # 0: go on; 1: stop early


@bpf_program("syscall")
def squares(ctx: Acc) -> int:
    """The sum of i*i for i < 100,000 with an explicit bpf_loop."""
    acc = Acc()
    helpers.loop(100_000, add_square, acc)
    ctx.total = acc.total
    return 0


if __name__ == "__main__":
    import ebpfpy

    with ebpfpy.load(__file__) as obj:
        for n, limit in ((27, 1000), (97, 1000), (27, 10)):
            out = Collatz.from_bytes(obj.programs.collatz.test_run(
                ctx=Collatz(n=n, limit=limit)).ctx)
            print(f"collatz({n}, limit {limit}): {out.steps} steps, stopped at {out.n}")
        out = Acc.from_bytes(obj.programs.squares.test_run(ctx=Acc()).ctx)
        print(f"squares: {out.total} (Python: {sum(i * i for i in range(100_000))})")
