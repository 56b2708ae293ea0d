"""Step 3: instruction limits — and what bpf_loop and subprograms do to them.

    ebpfpy check examples/tutorial/03_limits.py
    ebpfpy check examples/tutorial/03_limits.py --insn-budget 4096
    python examples/tutorial/03_limits.py

The verifier walks every path of a program, every iteration of a bounded loop included, and
gives up after 1,000,000 processed instructions (any program; unprivileged programs may also
hold no more than 4,096 instructions).  Two million iterations would be refused.  ebpfpy moves
a loop too expensive to walk into a ``bpf_loop`` callback: the verifier walks the body until
its state converges (a few times since Linux 6.7), whatever the number of iterations.
"""
from ebpfpy import bpf_program, struct, u64


@struct
class Sums:
    small: u64        # sum of i*i for i < 1,000: a plain loop, walked 1,000 times by the verifier
    big: u64          # sum of i for i < 2,000,000: becomes a bpf_loop callback


@bpf_program("syscall")
def sums(ctx: Sums) -> int:
    s: u64 = 0
    for i in range(1_000):
        s += u64(i * i)
    ctx.small = s
    t: u64 = 0
    for i in range(2_000_000):
        t += u64(i)
    ctx.big = t
    return 0


if __name__ == "__main__":
    import ebpfpy

    import re

    for budget in (None, 4096):     # the default (1M) and the unprivileged limit
        with ebpfpy.load(__file__, insn_budget=budget, log_level=4) as obj:
            out = Sums.from_bytes(obj.programs.sums.test_run(ctx=Sums()).ctx)
            done = re.search(r"processed \d+ insns", obj.programs.sums.log).group(0)
            print(f"budget {budget or 1_000_000:>9,}: small = {out.small}, big = {out.big}; "
                  f"the verifier {done}")
    print(f"Python: small = {sum(i * i for i in range(1_000))}, "
              f"big = {sum(range(2_000_000))}")
