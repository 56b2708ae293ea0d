"""The compiler's verifier-cost estimate against the kernel's own count, for every example
and every benchmark kernel.

``ebpfpy check`` prints the estimate; the kernel reports ``processed N insns`` when a
program loads with log level 4.  What is measured, per program:

* the estimate is within a factor of 2 of the kernel's count, in both directions, give or
  take ``SLACK`` instructions: at a few dozen instructions one helper call's set-up more or
  less is already a factor of 2, and the estimate is there for programs near the budget;
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
# that show a compile error on purpose (their docstring says so, as does "Broken on purpose"
# in examples/tutorial/broken/).
def _is_bpf_module(p: Path) -> bool:
    tree = ast.parse(p.read_text())
    doc = ast.get_docstring(tree) or ""
    return "a compile error" not in doc and "broken on purpose" not in doc.lower() and any(
        isinstance(n, ast.FunctionDef) and any("bpf_program" in ast.unparse(d) for d in n.decorator_list)
        for n in tree.body)


SLACK = 16

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
            assert real / 2 - SLACK <= est[name] <= real * 2 + SLACK, \
                f"{name}: estimate {est[name]:,} is not within 2x of the kernel's {real:,}"
            assert real <= DEFAULT_BUDGET // 2, \
                f"{name}: the kernel processed {real:,} instructions, over half the budget"


CURSOR = """
from ebpfpy import bpf_program, bpf_function, struct, helpers, Array, SkbContext, u32, u64

@struct
class St:
    t: u32
    x: u32

out = Array(u64, 4)

@bpf_function
def cb(i: u32, ps: St) -> int:
{body}
    return 0

@bpf_program("socket")
def prog(ctx: SkbContext) -> int:
    ps = St()
    helpers.loop({count}, cb, ps)
    out[0] = ps.t
    return 0
"""


@pytest.mark.parametrize("body, count", [
    ("    ps.x = 1", "1000"),                                  # a constant: converges
    ("    ps.t = ps.t + 1", "1000"),                           # imprecise: widened, converges
    ("    ps.x = i + 1", "1000"),
    ("    if ps.t < 64:\n        ps.t = ps.t + 1", "1000"),    # a cursor capped at 64 walks
    ("    ps.t = ps.t + 1\n    if ps.t > 5:\n        return 1", "100"),     # a cursor: a walk
    ("    ps.t = ps.t + 1\n    if ps.t > 5:\n        return 1", "1000"),    # per iteration
    ("    ps.t = ps.t + 1\n    if ps.t > 5:\n        return 1", "min(ctx.len, u32(300))"),
])
def test_loop_callback_with_a_cursor_in_its_context(tmp_path: Path, body: str, count: str) -> None:
    """A ``helpers.loop`` callback is walked until its state at the call converges (Linux
    6.7+); a precise field that changes each walk converges only at the count's bound."""
    path = tmp_path / "cursor.py"
    path.write_text(CURSOR.format(body=body, count=count))
    mod = compile_full(path)
    est = {r.name: r.est_cost for r in mod.report.rows}["prog"]
    with BpfObject(mod.elf, compiled=mod, log_level=4) as obj:
        real = int(re.search(r"processed (\d+) insns", obj.programs["prog"].log).group(1))
    assert real / 2 <= est <= real * 2, f"estimate {est:,} is not within 2x of the kernel's {real:,}"
