"""Typing expressions: the entry point, conditions, constants, names and the integer rules
of LANGUAGE.md §3 (implicit widening, flexible constants)."""
from __future__ import annotations

import ast

from ...types import (BOOL, ArrayType, BoolType, BpfType, IntType, MapType, RefType, StructType,
                      common_int, i64, widens_to)
from ...model.items import MapDef
from ...model.typed import ERR, Local, Sym, int_type, is_int
from .context import EXPR_RULES, CheckContext
from .ranges import assume
from .symbols import not_released, nullable_name, resolve


def expr(c: CheckContext, node: ast.expr, expect: BpfType | None = None) -> BpfType:
    """Type ``node`` (an integer adapts to ``expect`` when it can) and record it."""
    if c.fold.is_constant_expr(node):
        return constant(c, node, expect)
    rule = EXPR_RULES.get(type(node))
    if rule is None:
        c.src.error("E100", node, what=construct_name(node))
        t: BpfType = ERR
    else:
        t = rule(c, node, expect)
    c.fi.types[node] = t
    return t


def cond(c: CheckContext, node: ast.expr) -> None:
    """Type a condition: bool, an integer (``!= 0``) or a reference (``is not None``)."""
    if isinstance(node, ast.BoolOp):
        saved = c.flow.copy()
        for v in node.values:
            cond(c, v)
            assume(c, v, isinstance(node.op, ast.And))
        c.flow = saved
        c.fi.types[node] = BOOL
        return
    if isinstance(node, ast.Name) and nullable_name(c, node):
        not_released(c, node)
        c.fi.types[node] = c.fi.locals[node.id].type
        c.fi.names[node] = Sym("local", c.fi.locals[node.id])
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        cond(c, node.operand)
        c.fi.types[node] = BOOL
        return
    t = expr(c, node)
    if isinstance(t, RefType) and not t.nullable:
        # a struct or array object is always true in Python: almost surely a mistake
        c.src.error("E110", node, type=t.target)
    elif not (is_int(t) or t is BOOL or t is ERR or isinstance(t, RefType)):
        c.src.error("E110", node, type=t)


def constant(c: CheckContext, node: ast.expr, expect: BpfType | None) -> BpfType:
    """A constant expression: folded, typed ``expect`` when it fits, else i64."""
    v = c.fold.fold(node)
    if v is None:
        c.fi.types[node] = ERR
        return ERR
    it = expect if isinstance(expect, IntType) else i64
    t: BpfType = it
    if not it.fits(v):
        if expect is not None and isinstance(expect, IntType):
            c.src.error("E041", node, value=v, type=it)
        else:
            c.src.error("E044", node, value=v)
        t = ERR
    c.fi.types[node] = t
    c.fi.consts[node] = v
    return t


def nonneg_range(c: CheckContext, node: ast.expr) -> tuple[int, int] | None:
    """The range of a value that adapts to an unsigned operand (constants, range vars)."""
    if c.fold.is_constant_expr(node):
        v = c.fold.try_fold(node)
        return (v, v) if v is not None else None
    if isinstance(node, ast.Name) and node.id in c.loop_vars:
        lo, hi = c.loop_vars[node.id]
        if lo >= 0 and node.id not in c.reassigned_loop_vars:
            return lo, hi
    return None


def flexible(c: CheckContext, node: ast.expr) -> bool:
    """True when ``node`` may take the type of the other operand (a constant, a range var)."""
    return nonneg_range(c, node) is not None


def unify(c: CheckContext, a: ast.expr, b: ast.expr, expect: BpfType | None,
          at: ast.AST) -> BpfType:
    """Type two operands that must share a type; return that type."""
    fa, fb = flexible(c, a), flexible(c, b)
    exp = expect if isinstance(expect, IntType) else None
    if fa and fb:
        if exp is None:
            ta = expr(c, a)
            tb = expr(c, b, ta if is_int(ta) else None)
        else:
            ta, tb = expr(c, a, exp), expr(c, b, exp)
    elif fa:
        tb = expr(c, b)
        ta = expr(c, a, tb if is_int(tb) else exp)
    elif fb:
        ta = expr(c, a)
        tb = expr(c, b, ta if is_int(ta) else exp)
    else:
        ta, tb = expr(c, a), expr(c, b)
    return common(c, ta, tb, a, b, at)


def common(c: CheckContext, ta: BpfType, tb: BpfType, a: ast.expr, b: ast.expr,
           at: ast.AST) -> BpfType:
    """The common type of two typed integer operands, or ERR after reporting why not."""
    if ta is ERR or tb is ERR:
        return ERR
    for t, n in ((ta, a), (tb, b)):
        if t is BOOL:
            c.src.error("E103", n)
            return ERR
        if not is_int(t):
            c.src.error("E111", n, type=t)
            return ERR
    ta, tb = int_type(ta), int_type(tb)
    ct = common_int(ta, tb)
    if ct is None:
        signed, unsigned = (a, b) if ta.signed else (b, a)
        ut = tb if ta.signed else ta
        c.src.error("E102", at, a=ta, b=tb, cast=f"{ut!r}({ast.unparse(signed)})")
        return ERR
    # the narrower operand is widened; remember the common type for the lowering
    return ct


def literal(c: CheckContext, node: ast.Constant, expect: BpfType | None) -> BpfType:
    """A literal that is not an integer constant: True/False, or an error."""
    if isinstance(node.value, bool):
        c.fi.consts[node] = int(node.value)
        return BOOL
    if node.value is None:
        c.src.error("E116", node)
    elif isinstance(node.value, float):
        c.src.error("E117", node)
    elif isinstance(node.value, (str, bytes)):
        c.src.error("E118", node)
    else:
        c.src.error("E100", node, what=repr(node.value))
    return ERR


def name(c: CheckContext, node: ast.Name, expect: BpfType | None) -> BpfType:
    """A name read: a local (null-checked), a global; maps and functions are no values."""
    sym = resolve(c, node)
    if sym is None:
        return ERR
    c.fi.names[node] = sym
    if sym.kind == "local":
        loc: Local = sym.target
        if not not_released(c, node):
            return ERR
        if loc.nullable and node.id not in c.flow.nonnull:
            c.src.error("E070", node, name=node.id)
            return ERR
        r = nonneg_range(c, node)
        if r is not None and isinstance(expect, IntType) and not expect.signed and \
                expect.fits(r[0]) and expect.fits(r[1]):
            return expect
        if loc.mode == "ref":
            return RefType(loc.type, False, loc.space)
        return loc.type
    if sym.kind == "global":
        return sym.target.type
    if sym.kind == "map":
        c.src.error("E120", node, name=node.id)
        return ERR
    c.src.error("E121", node, name=node.id,
                   kind={"func": "@bpf_function", "struct": "@struct class"}.get(sym.kind, sym.kind))
    return ERR


def key_expr(c: CheckContext, node: ast.expr, m: MapDef) -> None:
    """Type a map key: it converts implicitly to the map's key type."""
    mt: MapType = m.type
    value_into(c, node, mt.key_type, "key")


def value_into(c: CheckContext, node: ast.expr, dst: BpfType, what: str) -> BpfType:
    """Type ``node`` for storing into ``dst`` (implicit conversions only)."""
    t = expr(c, node, dst if isinstance(dst, IntType) else None)
    if t is ERR:
        return ERR
    if isinstance(t, RefType):
        t = t.target
    if isinstance(dst, BoolType) and t is BOOL:
        return t
    if t is BOOL and isinstance(dst, IntType):
        c.src.error("E103", node)
        return ERR
    if not widens_to(t, dst) and not (isinstance(t, (StructType, ArrayType)) and t == dst):
        if isinstance(t, IntType) and isinstance(dst, IntType):
            c.src.error("E105", node, src=t, dst=dst, what=what, cast=f"{dst!r}({ast.unparse(node)})")
        else:
            c.src.error("E106", node, src=t, dst=dst, what=what)
        return ERR
    return t


def construct_name(node: ast.AST) -> str:
    """How a message names an unsupported expression."""
    names = {"Lambda": "lambda", "ListComp": "a list comprehension", "DictComp": "a dict comprehension",
             "SetComp": "a set comprehension", "GeneratorExp": "a generator expression",
             "List": "a list", "Dict": "a dict", "Set": "a set", "Tuple": "a tuple",
             "JoinedStr": "an f-string", "Await": "await", "Yield": "yield", "YieldFrom": "yield from",
             "NamedExpr": "the walrus operator :=", "Starred": "*unpacking", "Slice": "a slice"}
    return names.get(type(node).__name__, type(node).__name__)
