"""Programs far past the verifier's limits load anyway, and compute what CPython computes.

Each case is compiled with the default budget and with ``insn_budget=4096`` (the
unprivileged limit); the compiler's estimate must be within a factor of 2 of the kernel's
own ``processed N insns``.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject
from ebpfpy.types import u64

HEADER = """
from ebpfpy import bpf_program, struct, Array, u8, u32, u64, i64

@struct
class Io:
    n: u64
    total: u64
    extra: u64
"""

SUM_2M = HEADER + """
@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(2_000_000):
        s += u64(i) * 3
    ctx.total = s
    return 0
"""

LOOP_8M = HEADER + """
@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(8_000_000):
        s += u64(i) & 255
        if i == 7_999_999:
            ctx.extra = u64(i)
    ctx.total = s
    return 0
"""

NESTED_1E7 = HEADER + """
@bpf_program("syscall")
def main(ctx: Io) -> int:
    s: u64 = 0
    for i in range(10_000):
        for j in range(1_000):
            s += u64((i ^ j) & 7)
    ctx.total = s
    return 0
"""

GOL_1024 = """
from ebpfpy import bpf_program, struct, Array, u8, u32

N = 1024
boards = Array(u8[N][N], 2)

@struct
class Gen:
    src: u32

@bpf_program("syscall")
def main(ctx: Gen) -> int:
    s = boards.lookup(ctx.src & 1)
    d = boards.lookup((ctx.src + 1) & 1)
    if s is None or d is None:
        return 1
    for y in range(N):
        up = (y + N - 1) % N
        down = (y + 1) % N
        for x in range(N):
            left = (x + N - 1) % N
            right = (x + 1) % N
            n = (s[up][left] + s[up][x] + s[up][right] + s[y][left] + s[y][right] +
                 s[down][left] + s[down][x] + s[down][right])
            d[y][x] = u8(n == 3) | (u8(n == 2) & s[y][x])
    return 0
"""


def straight_line(n: int) -> str:
    lines = [HEADER, '@bpf_program("syscall")', "def main(ctx: Io) -> int:", "    x = ctx.n"]
    for k in range(n):
        lines.append(f"    x = x * {3 + k % 5} + {k}" if k % 2 else f"    x = x ^ (x >> {1 + k % 7})")
    lines += ["    ctx.total = x", "    return 0"]
    return "\n".join(lines) + "\n"


def straight_line_reference(n: int, x: int) -> int:
    for k in range(n):
        x = u64.wrap(x * (3 + k % 5) + k) if k % 2 else x ^ (x >> (1 + k % 7))
    return x


def processed(obj: BpfObject, prog: str) -> int:
    m = re.search(r"processed (\d+) insns", obj.programs[prog].log)
    assert m, obj.programs[prog].log[-500:]
    return int(m.group(1))


BUDGETS = [None, 4096]


def _load(source: str, budget: int | None) -> tuple[BpfObject, int]:
    mod = compile_full(source=source, filename="limits.py", insn_budget=budget)
    obj = BpfObject(mod.elf, compiled=mod, log_level=4)
    est = {r["name"]: r["est_cost"] for r in mod.report}["main"]
    return obj, est


def _check_estimate(obj: BpfObject, est: int) -> None:
    real = processed(obj, "main")
    assert real / 2 <= est <= real * 2, f"estimate {est} vs kernel {real}"


@pytest.mark.parametrize("budget", BUDGETS)
def test_sum_2m(budget):
    obj, est = _load(SUM_2M, budget)
    with obj:
        r = obj.programs.main.test_run(ctx=obj.structs.Io())
        assert r.retval == 0
        assert obj.structs.Io.from_bytes(r.ctx).total == sum(i * 3 for i in range(2_000_000))
        _check_estimate(obj, est)


@pytest.mark.parametrize("budget", BUDGETS)
def test_loop_8m(budget):
    obj, est = _load(LOOP_8M, budget)
    with obj:
        out = obj.structs.Io.from_bytes(obj.programs.main.test_run(ctx=obj.structs.Io()).ctx)
        i = np.arange(8_000_000, dtype=np.uint64)
        assert out.total == int((i & 255).sum())
        assert out.extra == 7_999_999
        _check_estimate(obj, est)


@pytest.mark.parametrize("budget", BUDGETS)
def test_nested_1e7(budget):
    obj, est = _load(NESTED_1E7, budget)
    with obj:
        out = obj.structs.Io.from_bytes(obj.programs.main.test_run(ctx=obj.structs.Io()).ctx)
        i = np.arange(10_000, dtype=np.uint64)[:, None]
        j = np.arange(1_000, dtype=np.uint64)[None, :]
        assert out.total == int(((i ^ j) & 7).sum())
        _check_estimate(obj, est)


def gol_reference(b: np.ndarray) -> np.ndarray:
    n = sum(np.roll(np.roll(b, dy, 0), dx, 1)
            for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((n == 3) | ((n == 2) & (b == 1))).astype(np.uint8)


@pytest.mark.parametrize("budget", BUDGETS)
def test_gol_1024_one_generation(budget):
    obj, est = _load(GOL_1024, budget)
    with obj:
        rng = np.random.default_rng(7)
        board = (rng.random((1024, 1024)) < 0.35).astype(np.uint8)
        obj.maps.boards[0] = board.tolist()
        r = obj.programs.main.test_run(ctx=obj.structs.Gen(src=0))
        assert r.retval == 0
        assert (np.array(obj.maps.boards[1], dtype=np.uint8) == gol_reference(board)).all()
        _check_estimate(obj, est)


def test_straight_line_5000():
    obj, est = _load(straight_line(5000), None)
    with obj:
        out = obj.structs.Io.from_bytes(obj.programs.main.test_run(ctx=obj.structs.Io(n=12345)).ctx)
        assert out.total == straight_line_reference(5000, 12345)
        _check_estimate(obj, est)


def test_straight_line_5000_small_budget_explains():
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=straight_line(5000), filename="straight.py", insn_budget=4096)
    err = ei.value
    assert err.code == "E250"
    assert err.lineno == 11          # the def of main
    assert "tail_call" in str(err) and "4096" in str(err)
