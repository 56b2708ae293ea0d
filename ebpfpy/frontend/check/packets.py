"""Checking the packet helpers: ``xdp_adjust_head/tail/meta``, the ``skb_*`` helpers of tc
and socket programs, the checksum helpers.  Each takes the program's ctx first (except
``csum_diff``) and is offered by the kernel to a few program kinds only (E334)."""
from __future__ import annotations

import ast

from ...model.helper_table import PACKET_HELPERS, Helper
from ...model.typed import ERR, Call
from ...types import NONE, ArrayType, BpfType, IntType, RefType, StructType, u64
from ..typeexpr import eval_type
from .context import CheckContext, ctx_arg, dest_ok, nargs, place_ok
from .expressions import expr, value_into

META_KINDS = ("xdp", "tc")


def check_packet_helper(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """Arguments by the helper's spec: "ctx", "dst"/"src" (an object in memory, its size
    passed), "buf" (a whole number of 32-bit words, or None) or an integer (name, type)."""
    spec = PACKET_HELPERS[h.name]
    what = f"helpers.{h.name}"
    kind = c.fi.ctx_kind
    # a function without a ctx parameter is checked where it is called from (by the kernel)
    if (kind or c.fi.fdef.section is not None) and kind not in spec.kinds:
        c.src.error("E334", node.func, what=what, kind=kind, kinds=", ".join(spec.kinds))
        return ERR
    n = len(spec.args)
    if not nargs(c, node, (n - spec.optional, n), what):
        return ERR
    sizes: list[int] = []
    ok = True
    for arg, (pname, want) in zip(node.args, spec.args):
        if want == "ctx":
            ok = ctx_arg(c, arg, "E335", what=what) and ok
        elif want in ("dst", "src", "buf"):
            size = _object_arg(c, arg, want, what, pname)
            ok = size is not None and ok
            sizes.append(size or 0)
        else:
            assert isinstance(want, IntType)
            value_into(c, arg, want, pname)
    if not ok:
        return ERR
    c.fi.calls[node] = Call("helper", h.name, h.ret, sizes)
    return h.ret


def _object_arg(c: CheckContext, arg: ast.expr, want: str, what: str, pname: str) -> int | None:
    """The byte size of a struct/array (or integer field) argument; 0 for None in a "buf"."""
    if want == "buf" and isinstance(arg, ast.Constant) and arg.value is None:
        c.fi.types[arg] = NONE
        return 0
    t = expr(c, arg)
    if t is ERR:
        return None
    target = t.target if isinstance(t, RefType) else t
    if not (dest_ok(c, arg) if want == "dst" else place_ok(c, arg) or dest_ok(c, arg)):
        c.src.error("E156" if want == "dst" else "E336", arg, type=target, what=what, param=pname)
        return None
    size = target.size
    if want == "buf" and (size % 4 or not isinstance(target, (ArrayType, StructType))):
        c.src.error("E336", arg, type=target, what=what, param=pname)
        return None
    return size


def check_load_meta(c: CheckContext, node: ast.Call, func: ast.Attribute) -> BpfType:
    """``ctx.load_meta(T)``: a reference to a ``T`` at the start of the metadata area
    (``data_meta``, grown by ``helpers.xdp_adjust_meta``), or None when it is shorter."""
    if c.fi.ctx_kind not in META_KINDS:
        c.src.error("E334", func, what="ctx.load_meta", kind=c.fi.ctx_kind or "this",
                    kinds=", ".join(META_KINDS))
        return ERR
    if not nargs(c, node, 1, "ctx.load_meta"):
        return ERR
    t = eval_type(c.info, c.fold, node.args[0])
    if t is None:
        return ERR
    c.fi.types[func.value] = c.fi.ctx_type or u64
    r = RefType(t, True, "packet")
    c.fi.calls[node] = Call("ctx_load", "meta", r, t)
    return r
