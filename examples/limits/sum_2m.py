"""A sum over two million iterations: the verifier would walk every one of them.

ebpfpy outlines the loop body into a bpf_loop callback, which the verifier walks until its
state converges (not two million times):
`ebpfpy check examples/limits/sum_2m.py` shows the split.
"""
from ebpfpy import bpf_program, struct, u64


@struct
class Io:
    n: u64
    total: u64
    extra: u64


@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(2_000_000):
        s += u64(i) * 3
    ctx.total = s
    return 0


def reference(io: Io) -> Io:
    """What CPython computes for the same function."""
    return Io(n=io.n, total=sum(i * 3 for i in range(2_000_000)), extra=io.extra)


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj:
        out = Io.from_bytes(obj.programs.main.test_run(ctx=Io()).ctx)
        print(out, "OK" if out == reference(Io()) else "MISMATCH")
