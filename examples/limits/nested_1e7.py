"""Nested loops whose product is 10**7: the outer loop becomes a bpf_loop callback, the
inner one stays a bounded loop the verifier walks once per callback verification."""
from ebpfpy import bpf_program, struct, u64


@struct
class Io:
    n: u64
    total: u64
    extra: u64


@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(10_000):
        for j in range(1_000):
            s += u64((i ^ j) & 7)
    ctx.total = s
    return 0


def reference(io: Io) -> Io:
    import numpy as np
    i = np.arange(10_000, dtype=np.uint64)[:, None]
    j = np.arange(1_000, dtype=np.uint64)[None, :]
    return Io(n=io.n, total=int(((i ^ j) & 7).sum()), extra=io.extra)


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj:
        out = Io.from_bytes(obj.programs.main.test_run(ctx=Io()).ctx)
        print(out, "OK" if out == reference(Io()) else "MISMATCH")
