"""The compiler's verifier-cost estimate against the kernel's own count, for every example.

``ebpfpy check`` prints the estimate; the kernel reports ``processed N insns`` when a
program loads with log level 4.  They must agree within a factor of 2.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Examples that are BPF modules; a few are not: generators of modules, and tutorial steps
# that show a compile error on purpose (their docstring says so).
def _is_bpf_module(p: Path) -> bool:
    tree = ast.parse(p.read_text())
    doc = ast.get_docstring(tree) or ""
    return "a compile error" not in doc and any(
        isinstance(n, ast.FunctionDef) and any("bpf_program" in ast.unparse(d) for d in n.decorator_list)
        for n in tree.body)


FILES = sorted(p for p in EXAMPLES.rglob("*.py") if _is_bpf_module(p))


def test_there_are_examples() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_estimate_within_factor_2(path: Path) -> None:
    mod = compile_full(path)
    est = {r.name: r.est_cost for r in mod.report.rows}
    with BpfObject(mod.elf, compiled=mod, log_level=4) as obj:
        for name in mod.programs:
            m = re.search(r"processed (\d+) insns", obj.programs[name].log)
            assert m, f"{name}: no statistics in the verifier log"
            real = int(m.group(1))
            assert real / 2 <= est[name] <= real * 2, f"{name}: estimate {est[name]} vs kernel {real}"
