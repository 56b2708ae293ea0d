"""Checking a slice of an array as a helper's destination: ``buf[8:24]``, ``buf[off:]``,
``buf[:n]`` with constant bounds, and ``buf[off:off + K]`` at a runtime offset (libbpf-tools'
execsnoop packs argument strings this way).

The length must be a constant: the verifier checks a helper's ``(pointer, size)`` with the
pointer's largest offset plus the size's largest value, never the two together, so a length
that shrinks as the offset grows (``buf[off:]`` at a runtime ``off``) cannot be proven.  A
runtime offset the flow facts do not bound to ``len(buf) - K`` is checked when the program
runs: past it, the helper is not called and the result is -E2BIG.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ...model.typed import ERR, is_int
from ...types import ArrayType, BpfType, RefType
from .context import CheckContext
from .expressions import expr
from .ranges import value_range


@dataclass(frozen=True)
class SliceInfo:
    """A checked slice: ``start`` the constant first element, or None with ``offset`` the
    runtime expression; ``length`` elements; ``checked``: the offset still needs the
    run-time test (its range is not known to fit)."""

    start: int | None
    offset: ast.expr | None
    length: int
    checked: bool


def is_slice(node: ast.expr) -> bool:
    """True for ``a[x:y]``."""
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)


def check_slice(c: CheckContext, node: ast.Subscript, what: str) -> BpfType:
    """Type ``a[x:y]`` as the ``ArrayType`` of its elements (E192/E193 when it cannot be)."""
    sl = node.slice
    assert isinstance(sl, ast.Slice)
    bt = expr(c, node.value)
    if bt is ERR:
        return ERR
    arr = bt.target if isinstance(bt, RefType) else bt
    if not isinstance(arr, ArrayType):
        c.src.error("E134", node.value, type=arr)
        return ERR
    if isinstance(node.value, ast.Attribute) and c.fi.attrs.get(node.value, ("",))[0] in ("ctx", "kfield"):
        c.src.error("E193", node, what=what, why="the ctx and kernel structs are the kernel's memory",
                    example="buf = u8[64](); helpers.probe_read_kernel(buf[8:], addr)")
        return ERR
    if sl.step is not None:
        c.src.error("E193", sl.step, what=what, why="a helper writes contiguous bytes, so a slice has no step",
                    example=f"{ast.unparse(node.value)}[off:off + 16]")
        return ERR
    bounds = [_const(c, b) for b in (sl.lower, sl.upper)]
    if any(b is ERR for b in bounds):
        return ERR
    lo, hi = bounds
    n = arr.length
    if (sl.lower is None or lo is not None) and (sl.upper is None or hi is not None):
        start = 0 if sl.lower is None else _from_end(lo, n)     # type: ignore[arg-type]
        end = n if sl.upper is None else _from_end(hi, n)       # type: ignore[arg-type]
        if not 0 <= start < end <= n:
            c.src.error("E192", node.slice, text=ast.unparse(node.slice), n=n, type=arr)
            return ERR
        return _typed(c, node, arr, SliceInfo(start, None, end - start, False))
    k = _runtime_length(c, sl)
    if k is None:
        c.src.error("E193", node.slice, what=what,
                    why="its length must be a constant (the verifier checks the largest offset "
                        "and the largest length apart)",
                    example=f"{ast.unparse(node.value)}[off:off + 16]")
        return ERR
    if not 0 < k <= n:
        c.src.error("E192", node.slice, text=ast.unparse(node.slice), n=n, type=arr)
        return ERR
    assert sl.lower is not None
    if any(isinstance(x, ast.Call) for x in ast.walk(sl.lower)):
        c.src.error("E193", sl.lower, what=what, why="its offset is written twice (off:off + K)",
                    example=f"off = {ast.unparse(sl.lower)}, then {ast.unparse(node.value)}[off:off + {k}]")
        return ERR
    ot = c.fi.types.get(sl.lower)
    if not is_int(ot):
        c.src.error("E111", sl.lower, type=ot)
        return ERR
    r = value_range(c, sl.lower)
    fits = r is not None and 0 <= r[0] and r[1] <= n - k
    return _typed(c, node, arr, SliceInfo(None, sl.lower, k, not fits))


def _typed(c: CheckContext, node: ast.Subscript, arr: ArrayType, info: SliceInfo) -> BpfType:
    t = ArrayType(arr.elem, info.length)
    c.fi.attrs[node] = ("slice", info)
    c.fi.types[node] = t
    return t


def _const(c: CheckContext, b: ast.expr | None) -> int | None | object:
    """A bound's constant value, None when it is absent or runtime, ERR when mistyped."""
    if b is None:
        return None
    t = expr(c, b)
    if t is ERR:
        return ERR
    if not is_int(t):
        c.src.error("E111", b, type=t)
        return ERR
    return c.fi.consts.get(b)


def _from_end(v: int, n: int) -> int:
    return v + n if v < 0 else v


def _runtime_length(c: CheckContext, sl: ast.Slice) -> int | None:
    """K for ``off:off + K`` (or ``off:K + off``); None for any other runtime form."""
    up, lo = sl.upper, sl.lower
    if lo is None or not isinstance(up, ast.BinOp) or not isinstance(up.op, ast.Add):
        return None
    same = ast.dump(lo)
    if ast.dump(up.left) == same and up.right in c.fi.consts:
        return c.fi.consts[up.right]
    if ast.dump(up.right) == same and up.left in c.fi.consts:
        return c.fi.consts[up.left]
    return None
