"""Typing field access, indexing and map subscripts: ``a.b``, ``a[i]``, ``m[k]``."""
from __future__ import annotations

import ast

from ...types import ArrayType, BpfType, IntType, RefType, StructType, u64
from ..contexts import ctx_field
from ...model.kernel_types import DataLoc, KernelFlex, kernel_ctx_fields
from ...model.typed import ERR, is_int
from .context import CheckContext, is_ctx
from .expressions import expr, key_expr
from .kernel import check_kernel_attr, kernel_flex_index
from .ranges import value_range
from .symbols import map_of


def attribute(c: CheckContext, node: ast.Attribute, expect: BpfType | None) -> BpfType:
    """``ctx.field``, ``struct.field``, a kernel struct's field, ``ref.value``."""
    base = node.value
    if isinstance(base, ast.Name) and base.id in c.info.kernel_enums and \
            base.id not in c.fi.locals:
        c.src.error("E278", node, what=f"{ast.unparse(node)} is a kernel enumerator, whose "
                    f"value libbpf gives at load: read it with "
                    f"helpers.enum_value({ast.unparse(node)})")
        return ERR
    if is_ctx(c, base):
        c.fi.types[base] = c.fi.ctx_type or ERR
        f = ctx_field(c.fi, node.attr)
        if f is None:
            missing_ctx_field(c, node)
            return ERR
        if isinstance(f[1], DataLoc):
            # a __data_loc string: the kernel address of its bytes in the record, for
            # helpers.probe_read_kernel_str (ctx.__data_loc_NAME is the raw u32)
            c.fi.attrs[node] = ("dataloc", f)
            return u64
        c.fi.attrs[node] = ("ctx", f)
        return f[1]
    bt = expr(c, base)
    if bt is ERR:
        return ERR
    if isinstance(bt, RefType) and bt.space == "percpu":      # check/alloc.py's PERCPU
        c.src.error("E377", node, name=ast.unparse(base), got="a per-CPU object",
                    what="its fields are reached one CPU at a time, after it is stored")
        return ERR
    kt = check_kernel_attr(c, node, bt)        # a kernel struct's field (CO-RE)
    if kt is not None:
        return kt
    target = bt.target if isinstance(bt, RefType) else bt
    if isinstance(target, StructType):
        fld = target.by_name.get(node.attr)
        if fld is None:
            c.src.error("E131", node, struct=target.name, name=node.attr,
                           fields=", ".join(f.name for f in target.fields) or "none")
            return ERR
        c.fi.attrs[node] = ("field", fld)
        return fld.type
    if isinstance(bt, RefType) and isinstance(target, (IntType, ArrayType)) and node.attr == "value":
        c.fi.attrs[node] = ("value", None)
        return target
    c.src.error("E132", node, type=target, name=node.attr)
    return ERR


def missing_ctx_field(c: CheckContext, node: ast.Attribute) -> None:
    """E130, or E268 listing the arguments of a program whose ctx is typed from kernel BTF."""
    kind = c.fi.ctx_kind
    fields = kernel_ctx_fields(c.fi) if kind in ("tp_btf", "fentry", "fexit") else None
    if fields:
        c.src.error("E268", node, name=node.attr, section=c.fi.fdef.section,
                    fields=", ".join(fields))
        return
    c.src.error("E130", node, name=node.attr, kind=kind or "this program")


def subscript(c: CheckContext, node: ast.Subscript, expect: BpfType | None) -> BpfType:
    """``m[k]`` (a map value copy), ``ctx.args[i]`` (raw_tp), ``a[i]``."""
    if isinstance(node.slice, ast.Slice):
        c.src.error("E194", node.slice)
        return ERR
    m = map_of(c, node.value)
    if m is not None:
        if not m.type.kind.indexable:
            c.src.error("E133", node, kind=m.type.kind)
            return ERR
        key_expr(c, node.slice, m)
        return m.type.value_type
    if isinstance(node.value, ast.Attribute) and is_ctx(c, node.value.value) and \
            node.value.attr == "args" and c.fi.ctx_kind == "raw_tp":
        c.fi.types[node.value] = ArrayType(u64, 12)
        c.fi.types[node.value.value] = c.fi.ctx_type or ERR
        c.fi.attrs[node.value] = ("ctx", ("args", ArrayType(u64, 12), 0))
        return index(c, node, ArrayType(u64, 12))
    outer, c.flex_base = c.flex_base, node.value     # x.items may be a kernel flexible array
    try:
        bt = expr(c, node.value)
    finally:
        c.flex_base = outer
    if bt is ERR:
        return ERR
    target = bt.target if isinstance(bt, RefType) else bt
    if isinstance(target, KernelFlex):
        return kernel_flex_index(c, node, target)
    if not isinstance(target, ArrayType):
        c.src.error("E134", node.value, type=target)
        return ERR
    return index(c, node, target)


def index(c: CheckContext, node: ast.Subscript, arr: ArrayType) -> BpfType:
    """``a[i]``: a constant index in bounds, or a runtime index with a proven range."""
    it = expr(c, node.slice)
    if it is ERR:
        return arr.elem
    if not is_int(it):
        c.src.error("E111", node.slice, type=it)
        return arr.elem
    k = c.fi.consts.get(node.slice)
    if k is not None:
        if not -arr.length <= k < arr.length:
            c.src.error("E072", node.slice, index=k, n=arr.length)
        return arr.elem
    r = value_range(c, node.slice)
    if r is None or r[0] < 0 or r[1] >= arr.length:
        shown = "unknown" if r is None else f"{r[0]}..{r[1]}"
        d = c.src.error("E071", node.slice, n=arr.length, range=shown,
                           index=ast.unparse(node.slice))
        if not isinstance(node.slice, ast.Name):
            # Only a local can be narrowed by an `if`: a field or an expression is
            # re-evaluated at the use, and the verifier loses the bound of a re-read too.
            d.notes = [f"bind it to a local and guard that, e.g.\ni = {ast.unparse(node.slice)}\n"
                       f"if i < {arr.length}:\n    ... a[i] ..."]
    return arr.elem
