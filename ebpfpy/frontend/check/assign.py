"""Typing assignments: ``x = v``, ``x: T = v``, ``m[k] = v``, ``p.f = v`` and ``x op= v``."""
from __future__ import annotations

import ast

from ...model.items import MapDef
from ...model.typed import ERR, Local, Sym, is_int
from ...types import (BOOL, kernel_owned, ArrayType, BoolType, IntType, RefType, StructType,
                      common_int, iter_scalars)
from ..typeexpr import type_expr
from . import refs
from .context import CheckContext, StmtRule, stmt_name
from .expressions import expr, flexible, key_expr, value_into
from .ranges import value_range
from .symbols import map_of

AUG_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor,
           ast.LShift, ast.RShift)
ATOMIC_OPS = (ast.Add, ast.Sub, ast.BitOr, ast.BitAnd, ast.BitXor)


def s_assign(c: CheckContext, node: ast.Assign) -> None:
    """``target = value`` (one target)."""
    if len(node.targets) != 1:
        c.src.error("E208", node)
        return
    assign(c, node.targets[0], node.value, node)


def s_annassign(c: CheckContext, node: ast.AnnAssign) -> None:
    """``x: T = value``: declares a local of type T."""
    if not isinstance(node.target, ast.Name) or node.value is None:
        c.src.error("E209", node)
        return
    t = type_expr(c.info, c.fold, node.annotation)
    if t is None:
        return
    name = node.target.id
    if name in c.fi.locals:
        if c.fi.locals[name].type != t:
            c.src.error("E210", node.target, name=name, type=c.fi.locals[name].type)
            return
    elif isinstance(t, (IntType, BoolType)):
        c.fi.locals[name] = Local(name, t, "value", node)
    assign(c, node.target, node.value, node)


def assign(c: CheckContext, target: ast.expr, value: ast.expr, node: ast.stmt) -> None:
    """Store ``value`` into a name, a map slot, a field or an element."""
    if isinstance(target, ast.Name):
        _assign_name(c, target, value, node)
    elif isinstance(target, ast.Subscript):
        m = map_of(c, target.value)
        if m is not None:
            if not m.type.kind.indexable:
                c.src.error("E133", target, kind=m.type.kind)
                return
            key_expr(c, target.slice, m)
            value_into(c, value, m.type.value_type, "map value")
            return
        _store_into(c, target, value)
    elif isinstance(target, ast.Attribute):
        _store_into(c, target, value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        c.src.error("E211", target)
    else:
        c.src.error("E200", target, what=stmt_name(node))


def _const_global(c: CheckContext, target: ast.expr) -> str | None:
    """The ``Const`` global an element or field store lands in (``targ_ports[i] = 1``)."""
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    if isinstance(target, ast.Name) and target.id not in c.fi.locals:
        g = c.info.globals.get(target.id)
        if g is not None and g.const:
            return g.name
    return None


def read_only_code(c: CheckContext, name: str) -> str:
    """E218 for a Const global, E274 for a Kconfig one."""
    return "E274" if c.info.globals[name].kconfig else "E218"


def _store_into(c: CheckContext, target: ast.expr, value: ast.expr) -> None:
    name = _const_global(c, target)
    if name is not None:
        c.src.error(read_only_code(c, name), target, name=name)
        expr(c, value)
        return
    tt = expr(c, target)
    if tt is ERR:
        expr(c, value)
        return
    if _ctx_readonly(c, target):
        c.src.error("E212", target)
        return
    value_into(c, value, tt, "target")


def _ctx_readonly(c: CheckContext, target: ast.expr) -> bool:
    a = c.fi.attrs.get(target)
    return isinstance(a, tuple) and a[0] in ("ctx", "dataloc") and c.fi.ctx_kind in ("tracepoint", "raw_tp", "xdp")


def _assign_name(c: CheckContext, target: ast.Name, value: ast.expr, node: ast.stmt) -> None:
    name = target.id
    if name in c.info.globals and name not in c.fi.locals:
        if name not in c.declared_globals:
            c.src.error("E213", target, name=name)
            return
        if c.info.globals[name].const:
            c.src.error(read_only_code(c, name), target, name=name)
            return
        c.fi.names[target] = Sym("global", c.info.globals[name])
        value_into(c, value, c.info.globals[name].type, "global")
        return
    if name in c.info.maps or name in c.info.all_funcs or name in c.info.structs \
            or name in c.info.consts:
        c.src.error("E214", target, name=name)
        expr(c, value)
        return
    loc = c.fi.locals.get(name)
    if loc is not None:
        _rebind(c, target, value, loc)
    else:
        loc = _new_local(c, name, value, node)
        if loc is None:
            return
        c.fi.locals[name] = loc
    _learn(c, target, value, loc)


def _rebind(c: CheckContext, target: ast.Name, value: ast.expr, loc: Local) -> None:
    """A new value for an existing local: same type (a reference: the same target type)."""
    if loc.mode == "value":
        value_into(c, value, loc.type, f"variable {target.id!r}")
        return
    vt = expr(c, value)
    refs.no_alias(c, value, f"bound to a second name ({target.id!r})")
    vt_target = vt.target if isinstance(vt, RefType) else vt
    if vt is not ERR and vt_target != loc.type:
        c.src.error("E210", target, name=target.id, type=loc.type)
    elif isinstance(vt, RefType) and vt.nullable:
        loc.nullable = True


def _learn(c: CheckContext, target: ast.Name, value: ast.expr, loc: Local) -> None:
    """Record the binding and what the flow now knows about the name (non-null, range)."""
    name = target.id
    c.fi.names[target] = Sym("local", loc)
    c.fi.types[target] = loc.type
    c.flow.forget(name)
    refs.bound(c, name, value)
    if name in c.loop_vars:
        c.reassigned_loop_vars.add(name)
    vt = c.fi.types.get(value)
    if loc.mode == "ref" and not (isinstance(vt, RefType) and vt.nullable):
        c.flow.nonnull.add(name)
    if loc.mode == "value" and isinstance(loc.type, IntType):
        r = value_range(c, value)
        if r is not None and loc.type.fits(r[0]) and loc.type.fits(r[1]) and \
                r != (loc.type.min, loc.type.max):      # the type's own range is no fact
            c.flow.ranges[name] = r


def _new_local(c: CheckContext, name: str, value: ast.expr, node: ast.stmt) -> Local | None:
    """The first binding of ``name``: its kind (value or reference) comes from the value."""
    t = expr(c, value)
    if t is ERR:
        c.fi.locals[name] = Local(name, ERR, "value", node)
        return None
    refs.no_alias(c, value, f"bound to a second name ({name!r})")
    if isinstance(t, RefType):
        return Local(name, t.target, "ref", node, nullable=t.nullable, space=t.space)
    if isinstance(t, (StructType, ArrayType)):
        # a struct/array value: P(), u8[4](), a map copy, or another name (aliasing)
        if any(kernel_owned(s) for s in iter_scalars(t)):
            c.src.error("E033", value)     # the kernel keeps these only in map values
            c.fi.locals[name] = Local(name, ERR, "value", node)
            return None
        return Local(name, t, "ref", node, space="stack")
    if isinstance(t, (IntType, BoolType)):
        return Local(name, t, "value", node)
    c.src.error("E215", value, type=t)
    return None


def s_augassign(c: CheckContext, node: ast.AugAssign) -> None:
    """``x op= v``: integers only; on a map value, one of the atomic operators."""
    op = node.op
    if not isinstance(op, AUG_OPS):
        c.src.error("E101" if isinstance(op, ast.Div) else "E100", node,
                    what=f"the operator {_aug_symbol(op)}")
        return
    target = node.target
    m = map_of(c, target.value) if isinstance(target, ast.Subscript) else None
    if m is not None and isinstance(target, ast.Subscript):
        _aug_map(c, node, target, m)
        return
    if isinstance(target, ast.Name) and not _aug_name(c, target):
        return
    name = _const_global(c, target)
    if name is not None:
        c.src.error(read_only_code(c, name), target, name=name)
        return
    tt = expr(c, target)        # the target is read first: typed like any other read
    if tt is ERR:
        return
    if not is_int(tt):
        c.src.error("E216", target, type=tt)
        return
    _aug_value(c, node, tt)


def _aug_map(c: CheckContext, node: ast.AugAssign, target: ast.Subscript, m: MapDef) -> None:
    """``m[k] op= v``: an atomic update of an integer map value."""
    if not m.type.kind.indexable:
        c.src.error("E133", target, kind=m.type.kind)
        return
    if not isinstance(m.type.value, IntType):
        c.src.error("E216", target, type=m.type.value)
        return
    if not isinstance(node.op, ATOMIC_OPS):
        c.src.error("E217", node, op=_aug_symbol(node.op))
        return
    key_expr(c, target.slice, m)
    c.fi.types[target] = m.type.value
    _aug_value(c, node, m.type.value)


def _aug_name(c: CheckContext, target: ast.Name) -> bool:
    """``x op= v`` on a name: it must exist (a global declared ``global``); facts about it end."""
    name = target.id
    if name in c.info.globals and name not in c.fi.locals and name not in c.declared_globals:
        c.src.error("E213", target, name=name)
        return False
    if name not in c.fi.locals and name not in c.info.globals:
        c.src.error("E061", target, name=name)
        return False
    if name not in c.fi.locals and c.info.globals[name].const:
        c.src.error(read_only_code(c, name), target, name=name)
        return False
    c.flow.forget(name)
    if name in c.loop_vars:
        c.reassigned_loop_vars.add(name)
    return True


def _aug_value(c: CheckContext, node: ast.AugAssign, tt: IntType) -> None:
    if isinstance(node.op, (ast.LShift, ast.RShift)):
        rt = expr(c, node.value)
        if rt is not ERR and not is_int(rt):
            c.src.error("E111", node.value, type=rt)
        k = c.fi.consts.get(node.value)
        if k is not None and not 0 <= k < tt.bits:
            c.src.error("E043", node.value, count=k, type=tt, bits=tt.bits)
        return
    vt = expr(c, node.value, tt if flexible(c, node.value) else None)
    if vt is ERR:
        return
    if not is_int(vt):
        c.src.error("E103" if vt is BOOL else "E111", node.value, type=vt)
        return
    ct = common_int(tt, vt)
    if ct is None or ct is not tt and ct.bits > tt.bits:
        # the result must fit the target: x_u8 += y_u32 would silently truncate
        if ct is None:
            c.src.error("E102", node, a=tt, b=vt, cast=f"{tt!r}({ast.unparse(node.value)})")
        else:
            c.src.error("E105", node.value, src=vt, dst=tt, what="target",
                        cast=f"{tt!r}({ast.unparse(node.value)})")


def _aug_symbol(op: ast.operator) -> str:
    """``*=`` for Mult: messages show the operator as the user wrote it."""
    return {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.FloorDiv: "//=", ast.Mod: "%=",
            ast.LShift: "<<=", ast.RShift: ">>=", ast.Pow: "**=", ast.MatMult: "@=",
            ast.Div: "/=", ast.BitAnd: "&=", ast.BitOr: "|=", ast.BitXor: "^="}.get(type(op), "?=")


RULES: dict[type, StmtRule] = {ast.Assign: s_assign, ast.AnnAssign: s_annassign, ast.AugAssign: s_augassign}
