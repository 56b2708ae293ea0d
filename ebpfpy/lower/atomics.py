"""Lowering ``helpers.atomic_*`` to LLVM ``atomicrmw`` / ``cmpxchg``, which the BPF
backend (``-mcpu=v3``) emits as one BPF_ATOMIC instruction each: ``lock *(u64 *)`` for an
update whose result is unused, ``atomic_fetch_<op>``, ``xchg`` and ``cmpxchg`` otherwise."""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..types import NONE, IntType
from .context import LowerContext
from .ints import convert

_OPS = {"add": "add", "sub": "add", "and": "and", "or": "or", "xor": "xor", "xchg": "xchg"}


def lower_atomic(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """The old value for the fetching forms; a dummy 0 for the plain ones (a statement)."""
    t = cx.fi.types[node.args[0]]
    assert isinstance(t, IntType) and t.bits in (32, 64), "the checker admits 32/64-bit places"
    p = cx.place(node.args[0])
    vals = [convert(cx.b, cx.expr(a), cx.fi.types[a], t) for a in node.args[1:]]
    if h.name == "atomic_cmpxchg":
        # seq_cst as C's __sync_val_compare_and_swap; BPF_CMPXCHG is fully ordered anyway
        pair = cx.b.cmpxchg(p, vals[0], vals[1], "seq_cst", "seq_cst", name="cmpxchg")
        return cx.b.extract_value(pair, 0, name="old")
    op = h.name.rsplit("_", 1)[1]
    v = cx.b.neg(vals[0]) if op == "sub" else vals[0]      # BPF has no atomic sub
    # The LLVM BPF backend (LLVM 22) emits a monotonic atomicrmw as the plain ``lock``
    # instruction even when its result is used, leaving the operand where the old value
    # should be: the fetching forms are seq_cst (C's __sync_fetch_and_add is too), the plain
    # ones monotonic (as m[k] += v), so that they stay one ``lock`` instruction.
    order = "seq_cst" if call.type is not NONE else "monotonic"
    return cx.b.atomic_rmw(_OPS[op], p, v, order, name="old")
