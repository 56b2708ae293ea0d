"""Eight million iterations with a branch inside: one bpf_loop callback, whose body the
verifier walks until its state converges, not once per iteration."""
from ebpfpy import bpf_program, struct, u64


@struct
class Io:
    n: u64
    total: u64
    extra: u64


@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(8_000_000):
        s += u64(i) & 255
        if i == 7_999_999:
            ctx.extra = u64(i)
    ctx.total = s
    return 0


def reference(io: Io) -> Io:
    import numpy as np
    i = np.arange(8_000_000, dtype=np.uint64)
    return Io(n=io.n, total=int((i & 255).sum()), extra=7_999_999)


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj:
        out = Io.from_bytes(obj.programs.main.test_run(ctx=Io()).ctx)
        print(out, "OK" if out == reference(Io()) else "MISMATCH")
