"""Programs far past the verifier's limits load anyway and compute what CPython computes.

The programs are examples/limits/*.py.  Each loop program is compiled with the default
budget and with ``insn_budget=4096`` (a small verifier budget: more is split); the estimate must
be within a factor of 2 of the kernel's own ``processed N insns``.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject

LIMITS = Path(__file__).resolve().parent.parent / "examples" / "limits"
BUDGETS = [None, 4096]


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"limits_{name}", LIMITS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load(budget: int | None, path: Path | None = None, source: str | None = None,
         module: ModuleType | None = None) -> tuple[BpfObject, int]:
    """Load with the verifier's statistics kept; also return the compiler's estimate."""
    mod = compile_full(path, source=source, filename="straight.py" if source else None,
                       insn_budget=budget)
    classes = {k: v for k, v in vars(module).items() if hasattr(v, "__bpf_type__")} if module else None
    obj = BpfObject(mod.elf, compiled=mod, user_classes=classes, log_level=4)
    est = {r.name: r.est_cost for r in mod.report.rows}["main"]
    return obj, est


def check_estimate(obj: BpfObject, est: int) -> None:
    m = re.search(r"processed (\d+) insns", obj.programs.main.log)
    assert m, obj.programs.main.log[-500:]
    real = int(m.group(1))
    assert real / 2 <= est <= real * 2, f"estimate {est} vs kernel {real}"


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ["sum_2m", "loop_8m", "nested_1e7"])
def test_big_loops(name: str, budget: int | None) -> None:
    ex = example(name)
    obj, est = load(budget, LIMITS / f"{name}.py", module=ex)
    with obj:
        r = obj.programs.main.test_run(ctx=ex.Io(n=5))
        assert r.retval == 0
        assert ex.Io.from_bytes(r.ctx) == ex.reference(ex.Io(n=5))
        check_estimate(obj, est)


@pytest.mark.parametrize("budget", BUDGETS)
def test_gol_1024_one_generation(budget: int | None) -> None:
    ex = example("gol_1024")
    obj, est = load(budget, LIMITS / "gol_1024.py", module=ex)
    with obj:
        board = (np.random.default_rng(7).random((1024, 1024)) < 0.35).astype(np.uint8)
        obj.maps.boards[0] = board.tolist()
        assert obj.programs.main.test_run(ctx=ex.Gen(src=0)).retval == 0
        assert (np.array(obj.maps.boards[1], dtype=np.uint8) == ex.reference(board)).all()
        check_estimate(obj, est)


def test_straight_line_5000() -> None:
    ex = example("straight_line")
    obj, est = load(None, source=ex.source(5000))
    with obj:
        Io = obj.structs.Io
        out = Io.from_bytes(obj.programs.main.test_run(ctx=Io(n=12345)).ctx)
        assert out.total == ex.reference(5000, 12345)
        check_estimate(obj, est)


def test_straight_line_5000_small_budget_explains() -> None:
    ex = example("straight_line")
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=ex.source(5000), filename="straight.py", insn_budget=4096)
    err = ei.value
    assert err.code == "E250"
    assert err.lineno == 12          # the def of main
    assert "tail_call" in str(err) and "4096" in str(err)


def test_without_splitting_the_kernel_refuses_and_points_at_python() -> None:
    """split=False shows what the verifier says of the loop as written, in Python terms."""
    path = LIMITS / "nested_1e7.py"
    with pytest.raises(ebpfpy.VerifierError) as ei:
        ebpfpy.load(str(path), split=False)
    err = ei.value
    assert "too large" in err.log or "1000001" in err.log
    assert err.lineno in (14, 16, 17, 18)        # the def (the ctx staging) or the loops
    text = str(err)
    assert "nested_1e7.py" in text and "instructions" in text.lower()
