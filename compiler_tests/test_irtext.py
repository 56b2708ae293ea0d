"""The fast IR printer (lower/irtext.py) prints exactly what llvmlite's ``str(module)`` does."""
from __future__ import annotations

from pathlib import Path

import pytest

from ebpfpy.frontend.check import check_module
from ebpfpy.frontend.module import Collector
from ebpfpy.frontend.split import DEFAULT_BUDGET, plan_splits
from ebpfpy.lower.function import lower_function
from ebpfpy.lower.irtext import module_text
from ebpfpy.lower.module_state import ModuleState, shorten_local_names
from ebpfpy.model.source import Source, parse

ROOT = Path(__file__).resolve().parent.parent
# every program that compiles: not the tutorial's broken ones, nor the limits generators
FAILING = {"02_unchecked.py", "04_while.py"}
PROGRAMS = sorted(p for p in [*ROOT.glob("examples/**/*.py"), *ROOT.glob("benchmarks/py/*.py")]
                  if "bpf_program" in p.read_text() and p.name not in FAILING
                  and "broken" not in p.parts and "limits" not in p.parts)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_text_equals_llvmlite_text(path: Path) -> None:
    src = Source(path.read_text(), str(path))
    col = Collector(src, parse(src))
    col.collect()
    src.raise_if_errors()
    checked = check_module(col)
    plan_splits(checked, DEFAULT_BUDGET, True)
    ml = ModuleState(checked)
    ml.declare_all()
    for name in checked.order:
        lower_function(ml, checked.funcs[name])
    ml.di.finalize()
    shorten_local_names(ml.module)
    fast = module_text(ml.module)
    assert fast == str(ml.module)
    assert fast.count("\n") > 10
