"""ebpfpy: write eBPF programs in typed, restricted Python and run them in the Linux kernel.

Every public name imports from here (LANGUAGE.md §1).  The compiler and the loader are
imported lazily so that ``import ebpfpy`` in a BPF module, and the CLI's start-up, stay cheap.
"""
from __future__ import annotations

import importlib

from .version import __version__

TYPE_CHECKING = False    # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:       # the names as the lazy ``__getattr__`` below provides them
    from . import helpers
    from .dsl import (BPF_ADJ_ROOM_MAC, BPF_ADJ_ROOM_NET, BPF_F_INVALIDATE_HASH,
                      BPF_F_MARK_MANGLED_0, BPF_F_PSEUDO_HDR, BPF_F_RECOMPUTE_CSUM)
    from .dsl import (BPF_F_CURRENT_CPU, BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID,
                      BPF_F_USER_STACK, RB_FORCE_WAKEUP, RB_NO_WAKEUP, TC_ACT_OK, TC_ACT_REDIRECT,
                      TC_ACT_SHOT, TC_ACT_UNSPEC, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT,
                      XDP_TX, Array, CgroupArray, Const, HashMap, Kconfig, kernel_enum, kernel_struct, LruHashMap, PerCpuArray,
                      PerCpuHashMap, PerfEventArray, ProgArray, RingBuf, SkbContext, SpinLock,
                      Flex, Kptr, ListHead, ListNode, PerCpuKptr, RbNode, RbRoot, Refcount, StackTraceMap, Timer, XdpContext, bpf_function, bpf_program, struct,
                      union)
    from .errors import CompileError, LoadError, VerifierError
    from typing import Any

    from .types import i8, i16, i32, i64, u8, u16, u32, u64

__all__ = [
    "compile", "load", "open", "helpers", "bpf_program", "bpf_function", "struct", "union",
    "Array", "HashMap", "LruHashMap", "PerCpuArray", "PerCpuHashMap", "ProgArray", "RingBuf",
    "PerfEventArray", "StackTraceMap", "CgroupArray",
    "BPF_F_USER_STACK", "BPF_F_FAST_STACK_CMP", "BPF_F_REUSE_STACKID", "BPF_F_CURRENT_CPU",
    "Const", "Kconfig", "kernel_struct", "kernel_enum", "Timer", "SpinLock", "XdpContext", "SkbContext",
    "Flex", "Kptr", "PerCpuKptr", "RbRoot", "RbNode", "ListHead", "ListNode", "Refcount",
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
    "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
    "TC_ACT_OK", "TC_ACT_SHOT", "TC_ACT_UNSPEC", "TC_ACT_REDIRECT",
    "RB_NO_WAKEUP", "RB_FORCE_WAKEUP",
    "BPF_F_RECOMPUTE_CSUM", "BPF_F_INVALIDATE_HASH", "BPF_F_PSEUDO_HDR", "BPF_F_MARK_MANGLED_0",
    "BPF_ADJ_ROOM_NET", "BPF_ADJ_ROOM_MAC",
    "CompileError", "LoadError", "VerifierError", "AttachError",
]

# Which submodule defines each public name.  They load on first use (PEP 562): the CLI's
# ``ebpfpy compile`` client imports this package and must not pay for the DSL's classes.
_HOME = {name: "dsl" for name in (
    "bpf_program", "bpf_function", "struct", "union", "Array", "HashMap", "LruHashMap", "PerCpuArray",
    "PerCpuHashMap", "ProgArray", "RingBuf", "PerfEventArray", "StackTraceMap", "CgroupArray",
    "BPF_F_USER_STACK", "BPF_F_FAST_STACK_CMP", "BPF_F_REUSE_STACKID", "BPF_F_CURRENT_CPU",
    "Const", "Kconfig", "kernel_struct", "kernel_enum", "Timer", "SpinLock", "XdpContext", "SkbContext",
    "Flex", "Kptr", "PerCpuKptr", "RbRoot", "RbNode", "ListHead", "ListNode", "Refcount",
    "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
    "TC_ACT_OK", "TC_ACT_SHOT", "TC_ACT_UNSPEC", "TC_ACT_REDIRECT",
    "RB_NO_WAKEUP", "RB_FORCE_WAKEUP",
    "BPF_F_RECOMPUTE_CSUM", "BPF_F_INVALIDATE_HASH", "BPF_F_PSEUDO_HDR", "BPF_F_MARK_MANGLED_0",
    "BPF_ADJ_ROOM_NET", "BPF_ADJ_ROOM_MAC")}
_HOME.update({name: "types" for name in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")})
_HOME.update({name: "errors" for name in ("CompileError", "LoadError", "VerifierError",
                                                "AttachError")})


def __getattr__(name: str) -> Any:
    """The public names, imported from their module on first use (then cached here)."""
    if name == "helpers":
        value: Any = importlib.import_module(".helpers", __name__)
    elif name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))



def compile(path: Any = None, *, source: str | None = None, filename: str | None = None,
            stop_after: str | None = None, insn_budget: int | None = None,
            split: bool = True) -> Any:
    """Compile a BPF module file (or ``source=``) to BPF ELF bytes.

    ``stop_after`` ("check", "ir", "obj") stops the pipeline early and returns that stage's
    result; ``insn_budget`` is the verifier budget the automatic splitting aims for (default
    the privileged 1,000,000); ``split=False`` turns the automatic splitting off, to see what
    the verifier says of the program as written (teaching).  Raises :class:`CompileError` for any problem in the user's code.
    """
    from .api import compile_module         # lazy: start-up time (see module doc)
    return compile_module(path, source=source, filename=filename, stop_after=stop_after,
                          insn_budget=insn_budget, split=split)


def load(target: Any, **kw: Any) -> Any:
    """Compile (if needed) and load a module: a path, an imported module, or ELF bytes.

    Keywords: ``insn_budget`` and ``split`` (compilation), ``log_level`` (keep verifier logs),
    ``config`` (a dict of ``Const`` globals' values, set before load; see :func:`open`).
    """
    from .api import load_object            # lazy: start-up time (see module doc)
    return load_object(target, **kw)


def open(target: Any, **kw: Any) -> Any:  # noqa: A001 -- libbpf's open/load split
    """Compile (if needed) and open a module without loading it, as a libbpf skeleton's
    ``__open``: set ``obj.config.NAME`` for each ``Const`` global, then ``obj.load()``.

    Takes the same arguments as :func:`load`; the object is a context manager from the start.
    """
    from .api import load_object            # lazy: start-up time (see module doc)
    return load_object(target, open_only=True, **kw)
