"""The compiler pipeline: source → check → (split) → LLVM IR → BPF ELF.

Each stage can be stopped after (``stop_after="check" | "ir" | "obj"``), so each is
testable alone.  An unexpected exception inside the compiler becomes an internal-compiler
error that names the Python line being compiled: a bug report, never a traceback.
"""
from __future__ import annotations

import gc
from typing import Literal, overload

from .compiled import CompiledModule
from .errors import CompileError
from .frontend.check import check_module
from .frontend.module import Collector
from .model.source import Source, parse
from .frontend.chain import Chain, plan_chains, rewrite
from .frontend.split import DEFAULT_BUDGET, ESTIMATE_ERROR, over_budget, plan_splits
from .model.report import Report, ReportRow
from .model.typed import CheckedModule
from .lower.module import lower_module
from .lower.hazards import function_sizes
from .lower.target import BackendError, emit_object_isolated

STAGES = ("check", "ir", "obj")
Stage = CheckedModule | str | bytes | CompiledModule      # what each stop_after returns


@overload
def run_pipeline(text: str, filename: str, stop_after: None = None,
                 insn_budget: int | None = None, split: bool = True) -> CompiledModule: ...


@overload
def run_pipeline(text: str, filename: str, stop_after: Literal["check"],
                 insn_budget: int | None = None, split: bool = True) -> CheckedModule: ...


@overload
def run_pipeline(text: str, filename: str, stop_after: Literal["ir"],
                 insn_budget: int | None = None, split: bool = True) -> str: ...


@overload
def run_pipeline(text: str, filename: str, stop_after: Literal["obj"],
                 insn_budget: int | None = None, split: bool = True) -> bytes: ...


@overload
def run_pipeline(text: str, filename: str, stop_after: str | None = None,
                 insn_budget: int | None = None, split: bool = True) -> Stage: ...


def run_pipeline(text: str, filename: str, stop_after: str | None = None,
                 insn_budget: int | None = None, split: bool = True) -> Stage:
    """Compile ``text``; the CompiledModule, or the result of the stage ``stop_after``."""
    if stop_after is not None and stop_after not in STAGES:
        raise ValueError(f"stop_after must be one of {STAGES}")
    src = Source(text, filename)
    # The compile's objects (syntax trees, types, llvmlite's IR) live until it ends, and the
    # cycle collector traversed them ~150 times per sortnet compile to free nothing (~6% of
    # its CPU time); it is paused for the compile and frees the compile's cycles after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(src, stop_after, insn_budget, split)
    except CompileError:
        raise
    except Exception as e:      # a compiler bug outside any checked or lowered statement
        raise src.internal_error(None, e) from e
    finally:
        if collecting:
            gc.enable()


def _run(src: Source, stop_after: str | None, insn_budget: int | None,
         split: bool = True) -> Stage:
    tree = parse(src)
    col = Collector(src, tree)
    info = col.collect()
    src.raise_if_errors()
    checked = check_module(col)
    budget = insn_budget or DEFAULT_BUDGET
    costs = plan_splits(checked, budget, split, judge=False)
    chains: dict[str, Chain] = {}
    if split:
        planned = plan_chains(checked, costs, budget // ESTIMATE_ERROR)
        chains = {n: c for n, c in planned.items() if c is not None and len(c.starts) > 1}
        over_budget(checked, budget, costs,
                    skip=set(chains) | {n for n, c in planned.items() if c is None})
    if chains:
        # check the rewritten module (entry, parts, state struct and maps) as a whole
        src = Source(src.text, src.filename)
        col = Collector(src, rewrite(tree, checked, chains))
        info = col.collect()
        src.raise_if_errors()
        checked = check_module(col)
        plan_splits(checked, budget, split)
        checked.report = _chain_report(checked.report, chains)
        checked.chains = {c.prog_array: c.parts for c in chains.values()}
    if stop_after == "check":
        return checked
    ir_text = lower_module(checked)
    if stop_after == "ir":
        return ir_text
    try:
        elf = emit_object_isolated(ir_text)
    except BackendError as e:
        if "out of insn range" in str(e):
            raise _long_jump(src, checked, ir_text) from None
        raise CompileError([src.bug(None, "E998", f"LLVM could not generate BPF code: {e}")]) from None
    if stop_after == "obj":
        return elf
    return CompiledModule(
        elf=elf, filename=src.filename, source=src.text,
        structs=dict(info.structs),
        maps={n: m.type for n, m in info.maps.items()},
        programs={n: f.section for n, f in info.programs.items() if f.section},
        events={n: m.event for n, m in info.maps.items() if m.type.kind.records},
        report=checked.report,
        chains=dict(checked.chains))


def _chain_report(report: Report, chains: dict[str, Chain]) -> Report:
    """The entry's row says where its body was cut; each part's row, which lines it runs."""
    notes: dict[str, str] = {}
    for c in chains.values():
        cuts = ", ".join(f"line {c.lines[k][0]} -> {c.part_name(k)}" for k in range(1, len(c.starts)))
        notes[c.name] = (f"lines {c.lines[0][0]}-{c.lines[0][1]}; too large for one program: "
                         f"tail calls through {c.prog_array} at {cuts}")
        for k in range(1, len(c.starts)):
            first, last = c.lines[k]
            carried = ", ".join(c.carried[k]) or "nothing"
            notes[c.part_name(k)] = (f"part {k} of {c.name}: lines {first}-{last} "
                                     f"(carried in {c.state_map}: {carried})")
    rows = [ReportRow(r.name, r.section, r.est_cost, r.stack, notes[r.name])
            if r.name in notes and r.split in ("", "-") else r for r in report.rows]
    return Report(rows)


def _long_jump(src: Source, checked: CheckedModule, ir_text: str) -> CompileError:
    """E251 at the longest function: the backend found a branch past the 16-bit jump range."""
    sizes = function_sizes(ir_text)
    name = max((n for n in checked.funcs if n in sizes), key=lambda n: sizes[n])
    node = checked.funcs[name].node
    src.error("E251", (node.lineno, node.col_offset, node.col_offset + 4 + len(node.name)),
              name=name, n=sizes[name])
    return CompileError(list(src.errors))
