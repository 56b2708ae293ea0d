"""Typing field access, indexing and map subscripts."""
from __future__ import annotations

import ast
from typing import Any

from ..types import TIMER, ArrayType, BpfType, IntType, RefType, StructType, u64
from .check_expr import ERR, is_int
from .contexts import ctx_field
from .kernel_types import check_kernel_attr


class AccessChecker:
    """Mixin of FunctionChecker for ``a.b``, ``a[i]`` and ``m[k]``."""

    fi: Any
    src: Any
    info: Any
    flow: Any

    def e_Attribute(self, node: ast.Attribute, expect: BpfType | None) -> BpfType:
        base = node.value
        if self.is_ctx(base):
            self.fi.types[base] = self.fi.ctx_type or ERR
            f = ctx_field(self.fi, node.attr)
            if f is None:
                self.src.error("E130", node, name=node.attr, kind=self.fi.ctx_kind or "this program")
                return ERR
            self.fi.attrs[node] = ("ctx", f)
            return f[1]
        bt = self.expr(base)
        if bt is ERR:
            return ERR
        kt = check_kernel_attr(self, node, bt)        # a kernel struct's field (CO-RE)
        if kt is not None:
            return kt
        target = bt.target if isinstance(bt, RefType) else bt
        if isinstance(target, StructType):
            fld = target.by_name.get(node.attr)
            if fld is None:
                self.src.error("E131", node, struct=target.name, name=node.attr,
                               fields=", ".join(f.name for f in target.fields) or "none")
                return ERR
            self.fi.attrs[node] = ("field", fld)
            return fld.type
        if isinstance(bt, RefType) and isinstance(target, (IntType, ArrayType)) and node.attr == "value":
            self.fi.attrs[node] = ("value", None)
            return target
        self.src.error("E132", node, type=target, name=node.attr)
        return ERR

    def e_Subscript(self, node: ast.Subscript, expect: BpfType | None) -> BpfType:
        if isinstance(node.slice, ast.Slice):
            self.src.error("E100", node.slice, what="a slice")
            return ERR
        m = self.map_of(node.value)
        if m is not None:
            if m.type.kind in ("RingBuf", "ProgArray"):
                self.src.error("E133", node, kind=m.type.kind)
                return ERR
            self.key_expr(node.slice, m)
            return m.type.value
        if isinstance(node.value, ast.Attribute) and self.is_ctx(node.value.value) and \
                node.value.attr == "args" and self.fi.ctx_kind == "raw_tp":
            self.fi.types[node.value] = ArrayType(u64, 12)
            self.fi.types[node.value.value] = self.fi.ctx_type or ERR
            self.fi.attrs[node.value] = ("ctx", ("args", ArrayType(u64, 12), 0))
            return self._index(node, ArrayType(u64, 12))
        bt = self.expr(node.value)
        if bt is ERR:
            return ERR
        target = bt.target if isinstance(bt, RefType) else bt
        if not isinstance(target, ArrayType):
            self.src.error("E134", node.value, type=target)
            return ERR
        return self._index(node, target)

    def _index(self, node: ast.Subscript, arr: ArrayType) -> BpfType:
        it = self.expr(node.slice)
        if it is ERR:
            return arr.elem
        if not is_int(it):
            self.src.error("E111", node.slice, type=it)
            return arr.elem
        c = self.fi.consts.get(node.slice)
        if c is not None:
            if not -arr.length <= c < arr.length:
                self.src.error("E072", node.slice, index=c, n=arr.length)
            return arr.elem
        r = self.value_range(node.slice)
        if r is None or r[0] < 0 or r[1] >= arr.length:
            shown = "unknown" if r is None else f"{r[0]}..{r[1]}"
            d = self.src.error("E071", node.slice, n=arr.length, range=shown,
                               index=ast.unparse(node.slice))
            if not isinstance(node.slice, ast.Name):
                # Only a local can be narrowed by an `if`: a field or an expression is
                # re-evaluated at the use, and the verifier loses the bound of a re-read too.
                d.notes = [f"bind it to a local and guard that, e.g.\ni = {ast.unparse(node.slice)}\n"
                           f"if i < {arr.length}:\n    ... a[i] ..."]
        return arr.elem

    def is_ctx(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Name) or not self.fi.params or self.fi.fdef.section is None:
            return False
        ctx = self.fi.params[0]
        return node.id == ctx.name and self.fi.locals.get(node.id) is ctx and ctx.mode == "ctx"

    def place_ok(self, node: ast.expr) -> bool:
        """True when ``node`` names an object in memory (by-reference argument, copy source)."""
        t = self.fi.types.get(node)
        return isinstance(t, (RefType, StructType, ArrayType)) and t is not TIMER
