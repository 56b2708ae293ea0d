"""Step 3: instruction limits — and what bpf_loop and subprograms do to them.

    ebpfpy check examples/tutorial/03_limits.py
    ebpfpy check examples/tutorial/03_limits.py --insn-budget 4096
    python examples/tutorial/03_limits.py
    python examples/tutorial/03_limits.py --no-split     # without ebpfpy's splitting

The verifier walks every path of a program, every loop iteration included, and gives up after
1,000,000 *processed* instructions, for every program (4,096 limits the *size* of a program
loaded without CAP_BPF).  A loop of two million iterations would be refused; ebpfpy moves such
a loop into a ``bpf_loop`` callback, whose body the verifier walks until its state converges.
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
    import os
    import re
    import sys

    import ebpfpy

    if sys.argv[1:] == ["--no-split"]:       # as a C compiler would: the kernel refuses it
        try:
            ebpfpy.load(os.path.relpath(__file__), split=False)
        except ebpfpy.VerifierError as e:
            print(e, file=sys.stderr)
            raise SystemExit(1)

    for budget in (None, 4096):     # the default (1M), and a budget as small as 4,096
        with ebpfpy.load(__file__, insn_budget=budget, log_level=4) as obj:
            prog = obj.programs.sums
            out = Sums.from_bytes(prog.test_run(ctx=Sums()).ctx)
            done = re.search(r"processed (\d+) insns", prog.log).group(1)
            print(f"insn_budget {budget or 1_000_000:>9,}: small = {out.small}, big = {out.big}; "
                  f"{prog.insn_cnt} instructions loaded, {int(done):,} processed by the verifier")
    print(f"Python: small = {sum(i * i for i in range(1_000))}, "
              f"big = {sum(range(2_000_000))}")
