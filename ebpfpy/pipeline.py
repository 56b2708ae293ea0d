"""The compiler pipeline: source → check → (split) → LLVM IR → BPF ELF.

Each stage can be stopped after (``stop_after="check" | "ir" | "obj"``), so each is
testable alone.  An unexpected exception inside the compiler becomes an internal-compiler
error that names the Python line being compiled: a bug report, never a traceback.
"""
from __future__ import annotations

from typing import Literal, overload

from .compiled import CompiledModule
from .errors import CompileError
from .frontend.check import check_module
from .frontend.module import Collector
from .model.source import Source, parse
from .frontend.split import DEFAULT_BUDGET, plan_splits
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
    try:
        return _run(src, stop_after, insn_budget, split)
    except CompileError:
        raise
    except Exception as e:      # a compiler bug outside any checked or lowered statement
        raise src.internal_error(None, e) from e


def _run(src: Source, stop_after: str | None, insn_budget: int | None,
         split: bool = True) -> Stage:
    tree = parse(src)
    col = Collector(src, tree)
    info = col.collect()
    src.raise_if_errors()
    checked = check_module(col)
    plan_splits(checked, insn_budget or DEFAULT_BUDGET, split)
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
        report=checked.report)


def _long_jump(src: Source, checked: CheckedModule, ir_text: str) -> CompileError:
    """E251 at the longest function: the backend found a branch past the 16-bit jump range."""
    sizes = function_sizes(ir_text)
    name = max((n for n in checked.funcs if n in sizes), key=lambda n: sizes[n])
    node = checked.funcs[name].node
    src.error("E251", (node.lineno, node.col_offset, node.col_offset + 4 + len(node.name)),
              name=name, n=sizes[name])
    return CompileError(list(src.errors))
