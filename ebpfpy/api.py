"""The userspace entry points behind ``ebpfpy.compile`` and ``ebpfpy.load`` (LANGUAGE.md §7).

The compiler and the loader are imported inside the functions that need them: ``import
ebpfpy`` and ``ebpfpy --help`` must not pull in llvmlite or cffi (compiler_tests/test_startup.py).
"""
from __future__ import annotations

import os
import types as _pytypes
from typing import Any, Literal, overload

from .compiled import CompiledModule
from .model.typed import CheckedModule
from .types import StructType

__all__ = ["CompiledModule", "compile_full", "compile_module", "load_object"]


def _read_source(path: Any, source: str | None, filename: str | None) -> tuple[str, str]:
    if source is not None:
        return source, filename or "<string>"
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    from .model.source import decode_source     # lazy: start-up time (see module doc)
    return decode_source(raw, path), filename or path


@overload
def compile_module(path: Any = None, *, source: str | None = None, filename: str | None = None,
                   stop_after: Literal["obj"] | None = None, insn_budget: int | None = None,
                   split: bool = True) -> bytes: ...


@overload
def compile_module(path: Any = None, *, source: str | None = None, filename: str | None = None,
                   stop_after: Literal["check"], insn_budget: int | None = None,
                   split: bool = True) -> CheckedModule: ...


@overload
def compile_module(path: Any = None, *, source: str | None = None, filename: str | None = None,
                   stop_after: Literal["ir"], insn_budget: int | None = None,
                   split: bool = True) -> str: ...


@overload
def compile_module(path: Any = None, *, source: str | None = None, filename: str | None = None,
                   stop_after: str | None = None, insn_budget: int | None = None,
                   split: bool = True) -> bytes | CheckedModule | str: ...


def compile_module(path: Any = None, *, source: str | None = None, filename: str | None = None,
                   stop_after: str | None = None, insn_budget: int | None = None,
                   split: bool = True) -> bytes | CheckedModule | str:
    """Run the pipeline; return ELF bytes, or the stage named by ``stop_after``."""
    if stop_after in (None, "obj"):     # the ELF: compile_full's (cached) result
        return compile_full(path, source=source, filename=filename, insn_budget=insn_budget,
                            split=split).elf
    from .pipeline import STAGES, run_pipeline      # lazy: start-up time (see module doc)
    if stop_after not in STAGES:
        raise ValueError(f"stop_after must be one of {STAGES}")
    text, fname = _read_source(path, source, filename)
    if stop_after == "check":
        return run_pipeline(text, fname, "check", insn_budget=insn_budget, split=split)
    return run_pipeline(text, fname, "ir", insn_budget=insn_budget, split=split)


def compile_full(path: Any = None, *, source: str | None = None, filename: str | None = None,
                 insn_budget: int | None = None, split: bool = True) -> CompiledModule:
    """Compile and keep the metadata (struct types, maps, programs) for the loader."""
    from .cache import cached               # lazy: start-up time (see module doc)
    text, fname = _read_source(path, source, filename)

    def build() -> CompiledModule:
        from .pipeline import run_pipeline  # lazy: start-up time (see module doc)
        return run_pipeline(text, fname, insn_budget=insn_budget, split=split)
    return cached(text, fname, {"insn_budget": insn_budget, "split": split}, build)


def load_object(target: Any, **kw: Any) -> Any:
    """Load a path, an imported module or ELF bytes; return a ``BpfObject``."""
    from .loader.object import BpfObject    # lazy: cffi and libbpf load only for loading
    if isinstance(target, (bytes, bytearray, memoryview)):
        return BpfObject(bytes(target), **kw)
    user_classes: dict[str, type] = {}
    if isinstance(target, _pytypes.ModuleType):
        for name, val in vars(target).items():
            st = getattr(val, "__bpf_type__", None)
            if isinstance(val, type) and isinstance(st, StructType):
                user_classes[name] = val
        target = target.__file__
    mod = compile_full(target, insn_budget=kw.pop("insn_budget", None), split=kw.pop("split", True))
    return BpfObject(mod.elf, compiled=mod, user_classes=user_classes, **kw)
