"""A generator of straight-line programs: N statements, no loop.

The verifier walks straight-line code instruction by instruction; no splitting can shrink
it.  5,000 statements fit the default 1,000,000 budget; under ``--insn-budget 4096`` the
compiler says why it cannot fit and what to do.  Run: python straight_line.py 5000
"""
import sys

HEADER = '''from ebpfpy import bpf_program, struct, u64


@struct
class Io:
    n: u64
    total: u64
    extra: u64


@bpf_program("syscall")
def main(ctx: Io) -> int:
    x = ctx.n
'''


def source(n: int) -> str:
    """The module text with ``n`` statements."""
    body = [f"    x = x * {3 + k % 5} + {k}" if k % 2 else f"    x = x ^ (x >> {1 + k % 7})"
            for k in range(n)]
    return HEADER + "\n".join(body) + "\n    ctx.total = x\n    return 0\n"


def reference(n: int, x: int) -> int:
    """What CPython computes for the same statements (u64 arithmetic)."""
    mask = (1 << 64) - 1
    for k in range(n):
        x = (x * (3 + k % 5) + k) & mask if k % 2 else x ^ (x >> (1 + k % 7))
    return x


if __name__ == "__main__":
    import ebpfpy
    from ebpfpy.api import compile_full
    from ebpfpy.loader import BpfObject
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    mod = compile_full(source=source(n), filename=f"straight_{n}.py")
    with BpfObject(mod.elf, compiled=mod) as obj:
        Io = obj.structs.Io
        out = Io.from_bytes(obj.programs.main.test_run(ctx=Io(n=12345)).ctx)
        print(out.total, "OK" if out.total == reference(n, 12345) else "MISMATCH")
