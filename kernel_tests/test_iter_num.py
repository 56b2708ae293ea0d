"""Open-coded iterators: ``for i in helpers.iter_num(a, b)`` calls the kernel's
``bpf_iter_num_new/next/destroy`` kfuncs (resolved by libbpf 1.1.2 against the kernel's
BTF), runs like Python's ``range(a, b)`` and agrees with the simulator; the verifier checks
it by convergence, so its work does not grow with the bound (measured here against a
walked bounded loop and a bpf_loop callback doing the same work).
"""
from __future__ import annotations

import re
import textwrap

import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject
from ebpfpy.testing import Simulator

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, helpers, u32, u64, i32

    @struct
    class Args:
        a: i32
        b: i32
        stop: i32
        out: u64

    table = Array(u64, 64)

    @bpf_program("syscall")
    def walk(ctx: Args) -> int:
        total: u64 = 0
        for i in helpers.iter_num(ctx.a, ctx.b):
            if i == ctx.stop:
                break
            if i % 2 == 1:
                continue
            if 0 <= i < 64:
                total += table[u32(i)]
            else:
                total += u64(u32(i))
        ctx.out = total
        return 0

    @bpf_program("syscall")
    def nested(ctx: Args) -> int:
        n: u64 = 0
        for i in helpers.iter_num(0, ctx.a):
            for j in helpers.iter_num(i, ctx.b):
                n += u64(u32(j))
        ctx.out = n
        return 0
''')

CASES = [("walk", dict(a=0, b=10, stop=-1)), ("walk", dict(a=-5, b=70, stop=66)),
         ("walk", dict(a=3, b=3, stop=-1)), ("walk", dict(a=9, b=2, stop=-1)),
         ("walk", dict(a=0, b=100000, stop=-1)), ("walk", dict(a=0, b=(1 << 23) + 1, stop=-1)),
         ("nested", dict(a=5, b=9, stop=0)), ("nested", dict(a=0, b=9, stop=0))]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> str:
    p = tmp_path_factory.mktemp("iters") / "iter_num.py"
    p.write_text(SOURCE)
    return str(p)


def test_kernel_matches_simulator(path: str) -> None:
    sim = Simulator(path)
    with ebpfpy.load(path) as obj:
        for k in range(64):
            obj.maps.table[k] = sim.maps.table[k] = 1000 * k + 7
        Args = obj.structs.Args
        for prog, args in CASES:
            r = getattr(obj.programs, prog).test_run(ctx=Args(**args))
            s = sim.run(prog, ctx=Args(**args))
            assert Args.from_bytes(r.ctx).out == Args.from_bytes(s.ctx).out, (prog, args)
            assert r.retval == s.retval == 0


BODY = "        total += table[u32(i) % 64] + u64(u32(i))\n"
SHAPES = {
    "iter_num": "    for i in helpers.iter_num(0, ctx.n):\n",
    "walked": "    for i in range(min(ctx.n, {cap})):\n",
    "bpf_loop": "    for i in range(min(ctx.n, {cap})):\n",
}
MEASURE = '''
from ebpfpy import bpf_program, struct, Array, helpers, u32, u64, i32

@struct
class Args:
    n: i32
    out: u64

table = Array(u64, 64)

@bpf_program("syscall")
def main(ctx: Args) -> int:
    total: u64 = 0
{loop}{body}    ctx.out = total
    return 0
'''


def processed(shape: str, cap: int) -> tuple[int, str]:
    """The kernel's ``processed N insns`` for the loop ``shape`` with a bound of ``cap``."""
    src = MEASURE.format(loop=SHAPES[shape].format(cap=cap), body=BODY)
    mod = compile_full(source=src, filename=f"measure_{shape}.py",
                       split=shape == "bpf_loop")
    with BpfObject(mod.elf, compiled=mod, log_level=4) as obj:
        r = obj.programs.main.test_run(ctx=obj.structs.Args(n=cap))
        out = obj.structs.Args.from_bytes(r.ctx).out
        assert out == sum(range(cap)), shape      # the table is all zeros
        m = re.search(r"processed (\d+) insns", obj.programs.main.log)
        assert m, obj.programs.main.log[-300:]
        return int(m.group(1)), mod.report.rows[0].split


def test_iter_num_is_verified_by_convergence() -> None:
    """The verifier's work for iter_num does not depend on the bound; a walked loop's grows
    with it; a bpf_loop callback's does not either (but costs a call per iteration)."""
    it_small, _ = processed("iter_num", 100)
    it_big, _ = processed("iter_num", 100000)
    walked, split = processed("walked", 1000)
    cb, cb_split = processed("bpf_loop", 100000)
    print(f"\nprocessed insns: iter_num(0, n) {it_small} (n=100) {it_big} (n=100000); "
          f"range(min(n, 1000)) walked {walked}; range(min(n, 100000)) as bpf_loop {cb}")
    assert it_small == it_big < 500
    assert "bpf_loop" not in split and walked > 10 * it_big
    assert "bpf_loop" in cb_split
