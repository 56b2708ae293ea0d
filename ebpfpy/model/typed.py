"""The checker's output, read by the lowering: types of nodes, resolved names and calls.

The lowering never infers a type: everything it needs about a node is recorded here.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeGuard, TypeVar

from ..types import BpfType, IntType, StructType
from .items import FuncDef, ModuleInfo
from .report import Report

T = TypeVar("T")


class ErrType(BpfType):
    """The type of an expression already reported as wrong (stops error cascades)."""

    def __repr__(self) -> str:
        return "<error>"


ERR = ErrType()


def int_type(t: BpfType | None) -> IntType:
    """``t``, which the checker has proved an integer type (a TypeError is a compiler bug)."""
    if not isinstance(t, IntType):
        raise TypeError(f"expected an integer type, not {t!r}")
    return t


def known(t: T | None) -> T:
    """``t``, which the checker has proved present (a TypeError is a compiler bug)."""
    if t is None:
        raise TypeError("expected a value the checker records")
    return t


def is_int(t: BpfType | None) -> TypeGuard[IntType]:
    """True for the integer types (not bool, not an error)."""
    return isinstance(t, IntType)


@dataclass(eq=False)
class Local:
    """A local variable.  ``mode``: "value" (an integer or bool in a stack slot),
    "object" (a struct or array on the stack, the name bound to it), "ref" (a pointer:
    map value, packet, ctx or a by-reference parameter)."""

    name: str
    type: BpfType
    mode: str
    node: ast.AST
    param_index: int | None = None
    nullable: bool = False
    space: str = "stack"

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True)
class Sym:
    """What a Name refers to: kind in local/global/map/const/func/ctx."""

    kind: str
    target: Any


@dataclass(frozen=True)
class Call:
    """What a call resolves to.  kind: cast, struct_new, array_new, builtin, helper, func,
    map_method, ctx_load, timer, bool."""

    kind: str
    name: str = ""
    type: BpfType | None = None
    extra: Any = None


class LoopStrategy(str, Enum):
    """How a loop is emitted; the values compare equal to the plain strings."""

    LOOP = "loop"                    # a bounded loop the verifier walks
    BPF_LOOP = "bpf_loop"            # the body outlined into a bpf_loop() callback
    ITER_NUM = "iter_num"            # for i in helpers.iter_num(a, b): bpf_iter_num_* kfuncs


@dataclass
class LoopInfo:
    """How a ``for … in range`` is emitted (chosen by the splitter; default a bounded loop)."""

    start: ast.expr | int
    stop: ast.expr | int
    step: int
    var_type: IntType
    trip_bound: int                  # at most this many iterations
    strategy: LoopStrategy = LoopStrategy.LOOP
    captured: list[Local] = field(default_factory=list)


@dataclass
class FuncInfo:
    """Everything the checker learned about one function."""

    fdef: FuncDef
    params: list[Local]
    ret: BpfType | None              # None: no value (programs return an int)
    ctx_kind: str = ""               # program kind for programs
    ctx_type: BpfType | None = None
    locals: dict[str, Local] = field(default_factory=dict)
    types: dict[ast.AST, BpfType] = field(default_factory=dict)
    consts: dict[ast.AST, int] = field(default_factory=dict)
    names: dict[ast.expr, Sym] = field(default_factory=dict)      # keys: ast.Name nodes
    calls: dict[ast.Call, Call] = field(default_factory=dict)
    loops: dict[ast.For, LoopInfo] = field(default_factory=dict)
    attrs: dict[ast.expr, Any] = field(default_factory=dict)   # resolved field access
    callees: set[str] = field(default_factory=set)
    stack_bytes: int = 0
    ret_struct: StructType | None = None
    is_callback: bool = False        # timer callback / bpf_loop callback signature

    @property
    def name(self) -> str:
        return self.fdef.name

    @property
    def node(self) -> ast.FunctionDef:
        return self.fdef.node


@dataclass
class CheckedModule:
    """The frontend's result for a whole file."""

    info: ModuleInfo
    funcs: dict[str, FuncInfo]
    order: list[str]                 # callees before callers
    report: Report = field(default_factory=Report)
    # ProgArray -> the programs at its indexes 0, 1, ...: the parts of a program too large
    # for one verifier pass, chained by tail calls (frontend/chain.py; the loader fills it)
    chains: dict[str, list[str]] = field(default_factory=dict)


STAGED_CTX_LIMIT = 192


def staged_ctx_size(fi: FuncInfo) -> int:
    """Bytes of a ``syscall`` program's ctx that live on its stack while it runs.

    The verifier allows ctx accesses only at constant offsets from an unmodified ctx
    pointer, so ``ctx.arr[i]``, struct copies and LLVM's select-of-pointers would be
    refused.  A small ctx is therefore copied to the stack on entry and back before every
    exit, and all the program's accesses are ordinary stack accesses.
    """
    t = fi.ctx_type
    if fi.fdef.section == "syscall" and isinstance(t, StructType) and 0 < t.size <= STAGED_CTX_LIMIT:
        return t.size
    return 0
