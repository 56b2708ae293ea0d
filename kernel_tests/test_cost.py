"""The compiler's verifier-cost estimate against the kernel's own count, for every example
and every benchmark kernel.

``ebpfpy check`` prints the estimate; the kernel reports ``processed N insns`` when a
program loads with log level 4.  What is measured, per program:

* the estimate is within a factor of 2 of the kernel's count, in both directions;
* the kernel's count is at most half the 1,000,000 budget: what ebpfpy lets through (split
  or not) is never one small change away from the verifier's refusal.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ebpfpy.api import compile_full
from ebpfpy.frontend.split import DEFAULT_BUDGET
from ebpfpy.loader.object import BpfObject

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BENCHMARKS = ROOT / "benchmarks" / "py"
# Examples that are BPF modules; a few are not: generators of modules, and tutorial steps
# that show a compile error on purpose (their docstring says so).
def _is_bpf_module(p: Path) -> bool:
    tree = ast.parse(p.read_text())
    doc = ast.get_docstring(tree) or ""
    return "a compile error" not in doc and any(
        isinstance(n, ast.FunctionDef) and any("bpf_program" in ast.unparse(d) for d in n.decorator_list)
        for n in tree.body)


FILES = sorted(p for p in EXAMPLES.rglob("*.py") if _is_bpf_module(p)) + \
    sorted(BENCHMARKS.glob("*.py"))


def test_there_are_examples() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_estimate_within_2x_of_kernel_and_kernel_under_half_budget(path: Path) -> None:
    mod = compile_full(path)
    est = {r.name: r.est_cost for r in mod.report.rows}
    with BpfObject(mod.elf, compiled=mod, log_level=4) as obj:
        for name in mod.programs:
            m = re.search(r"processed (\d+) insns", obj.programs[name].log)
            assert m, f"{name}: no statistics in the verifier log"
            real = int(m.group(1))
            assert real / 2 <= est[name] <= real * 2, \
                f"{name}: estimate {est[name]:,} is not within 2x of the kernel's {real:,}"
            assert real <= DEFAULT_BUDGET // 2, \
                f"{name}: the kernel processed {real:,} instructions, over half the budget"
