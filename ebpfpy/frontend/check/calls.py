"""Typing calls: casts, constructors, builtins, helpers and subprogram calls."""
from __future__ import annotations

import ast

from ...types import (BOOL, INT_TYPES, ArrayType, BpfType, ContextType, IntType, RefType,
                      StructType, UnionType, i64, u64)
from ...model.typed import ERR, int_type, is_int
from ..typeexpr import eval_type
from . import refs
from .context import CheckContext, is_ctx, nargs, record
from .expressions import common, cond, expr, flexible, unify, value_into
from .helpers import check_helper
from .kernel import check_flavour_cast, check_kernel_cast
from .methods import check_method
from .symbols import resolve


def call(c: CheckContext, node: ast.Call, expect: BpfType | None) -> BpfType:
    """Resolve and type any call."""
    func = node.func
    dsl = c.info.names.dsl(func)
    if isinstance(func, ast.Attribute) and dsl is None:
        return check_method(c, node, func)
    if isinstance(func, ast.Subscript):
        return array_new(c, node)
    if any(isinstance(a, ast.Starred) for a in node.args) or \
            any(k.arg is None for k in node.keywords):
        c.src.error("E100", node, what="*args / **kwargs in a call")
        return ERR
    fname = func.id if isinstance(func, ast.Name) else None
    if dsl in INT_TYPES or (fname in ("int", "bool") and fname not in c.fi.locals):
        return cast(c, node, INT_TYPES[dsl] if dsl in INT_TYPES else (i64 if fname == "int" else BOOL))
    if dsl is not None and dsl.startswith("helpers."):
        return check_helper(c, node, dsl[8:])
    if dsl is not None and dsl.startswith("kernel."):
        return check_kernel_cast(c, node, dsl[7:])
    if isinstance(func, ast.Name):
        named = _named_call(c, node, func, expect)
        if named is not None:
            return named
        resolve(c, func)
        if not c.src.errors or c.src.errors[-1].lineno != func.lineno:
            c.src.error("E142", func, name=ast.unparse(func))
    else:
        c.src.error("E142", func, name=ast.unparse(func))
    return ERR


def _named_call(c: CheckContext, node: ast.Call, func: ast.Name,
                expect: BpfType | None) -> BpfType | None:
    """``name(...)``: a struct, a subprogram or a builtin; None when the name is unknown."""
    name = func.id
    if name in c.fi.locals:
        c.src.error("E140", func, name=name)
        return ERR
    if name in c.info.structs:
        return struct_new(c, node, c.info.structs[name])
    if name in c.info.kernel_types:
        return check_flavour_cast(c, node, c.info.kernel_types[name])
    if name in c.info.all_funcs:
        return call_func(c, node, name)
    if name in c.info.consts or name in c.info.globals:
        c.src.error("E140", func, name=name)     # e.g. `min = 3` at module level
        return ERR
    if name in c.info.ignored:
        resolve(c, func)          # E060: a userspace name, even one hiding a builtin
        return ERR
    if name in BUILTINS:
        return BUILTINS[name](c, node, expect)
    if name == "range":
        c.src.error("E095", node, what="range()", example="for i in range(n): ...")
        return ERR
    if name == "print":
        c.src.error("E141", node)
        return ERR
    if name == "ord":             # ord("b") itself is a constant, folded before this
        c.src.error("E177", node)
        return ERR
    return None


def cast(c: CheckContext, node: ast.Call, t: BpfType) -> BpfType:
    """``u32(x)``, ``int(x)``, ``bool(x)``: explicit conversions (a constant is wrapped)."""
    if not nargs(c, node, (0, 1) if t is not BOOL else 1, repr(t)):
        return ERR
    record(c, node, "cast" if t is not BOOL else "bool", repr(t), t)
    if not node.args:
        c.fi.consts[node] = 0
        return t
    arg = node.args[0]
    if t is BOOL:
        cond(c, arg)
        return BOOL
    if c.fold.is_constant_expr(arg):
        v = c.fold.fold(arg)
        if v is None:
            return ERR
        c.fi.types[arg] = t
        c.fi.consts[arg] = v
        c.fi.consts[node] = int_type(t).wrap(v)
        return t
    if is_ctx(c, arg):
        c.src.error("E176", arg, name=arg.id, to=t)       # type: ignore[attr-defined]
        return ERR
    at = expr(c, arg)
    if isinstance(at, RefType) and at.space in ("kernel", "probe"):
        # a kernel pointer as a number (a map key by address, as biolatency keys requests)
        if t is not u64:
            c.src.error("E269", node, type=at.target, to=t)
        return t
    if at is not ERR and not (is_int(at) or at is BOOL):
        c.src.error("E144", arg, type=at, to=t)
    return t


def struct_new(c: CheckContext, node: ast.Call, st: StructType) -> BpfType:
    """``P(x=1, y=2)``: a struct value, fields by keyword."""
    if node.args:
        c.src.error("E145", node, name=st.name)
        return ERR
    if isinstance(st, UnionType) and len(node.keywords) > 1:
        c.src.error("E197", node.keywords[1], name=st.name, first=node.keywords[0].arg)
        return ERR
    for kw in node.keywords:
        f = st.by_name.get(kw.arg or "")
        if f is None:
            c.src.error("E131", kw.value, struct=st.name, name=kw.arg,
                           fields=", ".join(x.name for x in st.fields) or "none")
            continue
        value_into(c, kw.value, f.type, f"field {st.name}.{f.name}")
    record(c, node, "struct_new", st.name, st)
    return st


def array_new(c: CheckContext, node: ast.Call) -> BpfType:
    """``u8[16]()``: a zeroed array."""
    t = eval_type(c.info, c.fold, node.func)
    if t is None:
        return ERR
    if node.args or node.keywords:
        c.src.error("E146", node)
        return ERR
    record(c, node, "array_new", "", t)
    return t

# ------------------------------------------------------------------ builtins


def builtin_min(c: CheckContext, node: ast.Call, expect: BpfType | None) -> BpfType:
    """``min(a, b, ...)``."""
    return minmax(c, node, "min", expect)


def builtin_max(c: CheckContext, node: ast.Call, expect: BpfType | None) -> BpfType:
    """``max(a, b, ...)``."""
    return minmax(c, node, "max", expect)


def minmax(c: CheckContext, node: ast.Call, name: str, expect: BpfType | None) -> BpfType:
    """``min``/``max`` of two or more integers of one common type."""
    if node.keywords or len(node.args) < 2:
        c.src.error("E147", node, name=name)
        return ERR
    t = unify(c, node.args[0], node.args[1], expect, node)
    for a in node.args[2:]:
        at = expr(c, a, t if flexible(c, a) and is_int(t) else None)
        t = common(c, t, at, node.args[0], a, node)
    # re-type earlier operands against the final type so the lowering sees one type
    record(c, node, "builtin", name, t)
    return t


def builtin_abs(c: CheckContext, node: ast.Call, expect: BpfType | None) -> BpfType:
    """``abs(x)``."""
    if not nargs(c, node, 1, "abs"):
        return ERR
    t = expr(c, node.args[0], expect if flexible(c, node.args[0]) else None)
    if t is not ERR and not is_int(t):
        c.src.error("E111", node.args[0], type=t)
        return ERR
    record(c, node, "builtin", "abs", t)
    return t


def builtin_len(c: CheckContext, node: ast.Call, expect: BpfType | None) -> BpfType:
    """``len(a)`` of an array: a constant."""
    if not nargs(c, node, 1, "len"):
        return ERR
    t = expr(c, node.args[0])
    t = t.target if isinstance(t, RefType) else t
    if not isinstance(t, ArrayType):
        if t is not ERR:
            c.src.error("E148", node.args[0], type=t)
        return ERR
    record(c, node, "builtin", "len", i64, t.length)
    c.fi.consts[node] = t.length
    return expect if isinstance(expect, IntType) and expect.fits(t.length) else i64

# ------------------------------------------------------------------ helpers


def call_func(c: CheckContext, node: ast.Call, name: str) -> BpfType:
    """A call of a ``@bpf_function``: arguments by value or by reference."""
    fdef = c.info.all_funcs[name]
    if fdef.section is not None:
        c.src.error("E151", node.func, name=name)
        return ERR
    sig = c.signatures.get(name)
    if sig is None:
        return ERR
    params, ret = sig
    if node.keywords or len(node.args) != len(params):
        if node.keywords and len(node.args) + len(node.keywords) == len(params):
            c.src.error("E149", node.keywords[0], what=name)
            return ERR
        c.src.error("E143", node, what=name, n=len(params), got=len(node.args) + len(node.keywords))
        return ERR
    for (pname, ptype, byref), arg in zip(params, node.args):
        if isinstance(ptype, ContextType):
            ctx_param(c, arg, name, pname, ptype)
        elif byref:
            at = expr(c, arg)
            refs.no_alias(c, arg, f"passed to {name}()")
            at_t = at.target if isinstance(at, RefType) else at
            if at is not ERR and at_t != ptype:
                c.src.error("E152", arg, param=pname, type=ptype, got=at_t)
            elif isinstance(at, RefType) and at.space == "probe":
                # the callee reads its parameter directly, which only BTF pointers allow
                c.src.error("E267", arg, param=pname, type=at_t)
        else:
            value_into(c, arg, ptype, f"parameter {pname!r}")
    c.fi.callees.add(name)
    c.call_sites.setdefault(name, node)
    record(c, node, "func", name, ret)
    return ret if ret is not None else ERR


def ctx_param(c: CheckContext, arg: ast.expr, func: str, pname: str, ptype: ContextType) -> None:
    """The caller's own ctx, of a kind ``ptype`` stands for, passed to ``func``'s first
    parameter (E331): the callee reads fields and packet data through it as a program does."""
    expr(c, arg)
    if not is_ctx(c, arg):
        c.src.error("E331", arg, func=func, param=pname, type=ptype)
    elif c.fi.ctx_kind not in ptype.kinds:
        c.src.error("E332", arg, func=func, param=pname, type=ptype, kind=c.fi.ctx_kind,
                    kinds=", ".join(ptype.kinds))

# ------------------------------------------------------------------ methods


BUILTINS = {"min": builtin_min, "max": builtin_max, "abs": builtin_abs, "len": builtin_len}
