"""Typing statements, with the flow facts for the null-check and index rules."""
from __future__ import annotations

import ast
from typing import Any

from ..types import (BOOL, ArrayType, BoolType, IntType, RefType, StructType, i64,
                     common_int)
from .check_expr import ERR, is_int
from .flow import Flow
from .typed import Local, Sym

AUG_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor,
           ast.LShift, ast.RShift)
ATOMIC_OPS = (ast.Add, ast.Sub, ast.BitOr, ast.BitAnd, ast.BitXor)
MAX_TRIP = 1 << 40


class StmtChecker:
    """Mixin of FunctionChecker: ``block`` checks a list of statements."""

    fi: Any
    src: Any
    info: Any
    flow: Flow
    fold: Any
    loop_depth: int

    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if self.flow.dead:
                self.flow = Flow()      # unreachable code is still checked
            method = getattr(self, "s_" + type(s).__name__, None)
            if method is None:
                self.src.error("E200", s, what=_stmt_name(s))
                continue
            try:
                method(s)
            except RecursionError:      # e.g. a sum of thousands of terms: report, go on
                self.src.error("E005", s, detail="expression nesting")

    # ------------------------------------------------------------------ simple statements
    def s_Pass(self, node: ast.Pass) -> None:
        pass

    def s_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return      # docstring
        if not isinstance(node.value, ast.Call):
            if getattr(self, "e_" + type(node.value).__name__, None) is None:
                self.expr(node.value)       # yield, await, ...: name the unsupported construct
            else:
                self.src.error("E201", node)
            return
        self.expr(node.value)

    def s_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name not in self.info.globals:
                self.src.error("E202", node, name=name)
            self.declared_globals.add(name)

    def s_Break(self, node: ast.Break) -> None:
        self._in_loop(node)
        self.flow.dead = True

    def s_Continue(self, node: ast.Continue) -> None:
        self._in_loop(node)
        self.flow.dead = True

    def _in_loop(self, node: ast.stmt) -> None:
        if self.loop_depth == 0:
            self.src.error("E203", node, what=type(node).__name__.lower())

    def s_Return(self, node: ast.Return) -> None:
        ret = self.fi.ret
        if node.value is None:
            if ret is not None and self.fi.fdef.section is None:
                self.src.error("E204", node, type=ret)
        elif self.fi.fdef.section is not None:
            t = self.expr(node.value, i64 if self.flexible(node.value) else None)
            if t is not ERR and not (is_int(t) or t is BOOL):
                self.src.error("E205", node.value, type=t)
        elif ret is None:
            self.src.error("E206", node.value, name=self.fi.name)
        else:
            self.value_into(node.value, ret, "return value")
        self.flow.dead = True

    def s_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            m = self.map_of(t.value) if isinstance(t, ast.Subscript) else None
            if m is None or m.type.kind not in ("HashMap", "PerCpuHashMap", "LruHashMap"):
                self.src.error("E207", t)
                continue
            self.key_expr(t.slice, m)

    # ------------------------------------------------------------------ assignment
    def s_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            self.src.error("E208", node)
            return
        self.assign(node.targets[0], node.value, node)

    def s_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not isinstance(node.target, ast.Name) or node.value is None:
            self.src.error("E209", node)
            return
        t = self.collector.type_expr(node.annotation)
        if t is None:
            return
        name = node.target.id
        if name in self.fi.locals:
            if self.fi.locals[name].type != t:
                self.src.error("E210", node.target, name=name, type=self.fi.locals[name].type)
                return
        elif isinstance(t, (IntType, BoolType)):
            self.fi.locals[name] = Local(name, t, "value", node)
        self.assign(node.target, node.value, node)

    def assign(self, target: ast.expr, value: ast.expr, node: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            self._assign_name(target, value, node)
        elif isinstance(target, ast.Subscript):
            m = self.map_of(target.value)
            if m is not None:
                if m.type.kind in ("RingBuf", "ProgArray"):
                    self.src.error("E133", target, kind=m.type.kind)
                    return
                self.key_expr(target.slice, m)
                self.value_into(value, m.type.value, "map value")
                return
            self._store_into(target, value)
        elif isinstance(target, ast.Attribute):
            self._store_into(target, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.src.error("E211", target)
        else:
            self.src.error("E200", target, what=_stmt_name(node))

    def _store_into(self, target: ast.expr, value: ast.expr) -> None:
        tt = self.expr(target)
        if tt is ERR:
            self.expr(value)
            return
        if self._is_ctx_readonly(target):
            self.src.error("E212", target)
            return
        self.value_into(value, tt, "target")

    def _is_ctx_readonly(self, target: ast.expr) -> bool:
        a = self.fi.attrs.get(target)
        return isinstance(a, tuple) and a[0] == "ctx" and self.fi.ctx_kind in ("tracepoint", "raw_tp", "xdp")

    def _assign_name(self, target: ast.Name, value: ast.expr, node: ast.stmt) -> None:
        name = target.id
        if name in self.info.globals and name not in self.fi.locals:
            if name not in self.declared_globals:
                self.src.error("E213", target, name=name)
                return
            self.fi.names[target] = Sym("global", self.info.globals[name])
            self.value_into(value, self.info.globals[name].type, "global")
            return
        if name in self.info.maps or name in self.info.all_funcs or name in self.info.structs \
                or name in self.info.consts:
            self.src.error("E214", target, name=name)
            self.expr(value)
            return
        loc = self.fi.locals.get(name)
        if loc is not None and loc.mode == "value":
            self.value_into(value, loc.type, f"variable {name!r}")
        elif loc is not None:
            vt = self.expr(value)
            vt_target = vt.target if isinstance(vt, RefType) else vt
            if vt is not ERR and vt_target != loc.type:
                self.src.error("E210", target, name=name, type=loc.type)
            elif isinstance(vt, RefType) and vt.nullable:
                loc.nullable = True
        else:
            loc = self._new_local(name, value, node)
            if loc is None:
                return
            self.fi.locals[name] = loc
        self.fi.names[target] = Sym("local", loc)
        self.fi.types[target] = loc.type
        self.flow.forget(name)
        if name in self.loop_vars:
            self.reassigned_loop_vars.add(name)
        vt = self.fi.types.get(value)
        if loc.mode == "ref" and not (isinstance(vt, RefType) and vt.nullable):
            self.flow.nonnull.add(name)
        if loc.mode == "value" and isinstance(loc.type, IntType):
            r = self.value_range(value)
            if r is not None and loc.type.fits(r[0]) and loc.type.fits(r[1]) and \
                    r != (loc.type.min, loc.type.max):      # the type's own range is no fact
                self.flow.ranges[name] = r

    def _new_local(self, name: str, value: ast.expr, node: ast.stmt) -> Local | None:
        t = self.expr(value)
        if t is ERR:
            self.fi.locals[name] = Local(name, ERR, "value", node)
            return None
        if isinstance(t, RefType):
            return Local(name, t.target, "ref", node, nullable=t.nullable, space=t.space)
        if isinstance(t, (StructType, ArrayType)):
            # a struct/array value: P(), u8[4](), a map copy, or another name (aliasing)
            return Local(name, t, "ref", node, space="stack")
        if isinstance(t, (IntType, BoolType)):
            return Local(name, t, "value", node)
        self.src.error("E215", value, type=t)
        return None

    def s_AugAssign(self, node: ast.AugAssign) -> None:
        op = node.op
        if not isinstance(op, AUG_OPS):
            self.src.error("E101" if isinstance(op, ast.Div) else "E100", node,
                           what=f"the operator {_aug_symbol(op)}")
            return
        target = node.target
        m = self.map_of(target.value) if isinstance(target, ast.Subscript) else None
        if m is not None:
            if m.type.kind in ("RingBuf", "ProgArray"):
                self.src.error("E133", target, kind=m.type.kind)
                return
            if not isinstance(m.type.value, IntType):
                self.src.error("E216", target, type=m.type.value)
                return
            if not isinstance(op, ATOMIC_OPS):
                self.src.error("E217", node, op=_aug_symbol(op))
                return
            self.key_expr(target.slice, m)
            self.fi.types[target] = m.type.value
            self._aug_value(node, m.type.value)
            return
        if isinstance(target, ast.Name):
            if target.id in self.info.globals and target.id not in self.fi.locals and \
                    target.id not in self.declared_globals:
                self.src.error("E213", target, name=target.id)
                return
            if target.id not in self.fi.locals and target.id not in self.info.globals:
                self.src.error("E061", target, name=target.id)
                return
            self.flow.forget(target.id)
            if target.id in self.loop_vars:
                self.reassigned_loop_vars.add(target.id)
            ctx = target.ctx
            target.ctx = ast.Load()
            tt = self.expr(target)
            target.ctx = ctx
        else:
            tt = self.expr(target)
        if tt is ERR:
            return
        if not is_int(tt):
            self.src.error("E216", target, type=tt)
            return
        self._aug_value(node, tt)

    def _aug_value(self, node: ast.AugAssign, tt: IntType) -> None:
        if isinstance(node.op, (ast.LShift, ast.RShift)):
            rt = self.expr(node.value)
            if rt is not ERR and not is_int(rt):
                self.src.error("E111", node.value, type=rt)
            c = self.fi.consts.get(node.value)
            if c is not None and not 0 <= c < tt.bits:
                self.src.error("E043", node.value, count=c, type=tt, bits=tt.bits)
            return
        vt = self.expr(node.value, tt if self.flexible(node.value) else None)
        if vt is ERR:
            return
        if not is_int(vt):
            self.src.error("E103" if vt is BOOL else "E111", node.value, type=vt)
            return
        c = common_int(tt, vt)
        if c is None or c is not tt and c.bits > tt.bits:
            # the result must fit the target: x_u8 += y_u32 would silently truncate
            if c is None:
                self.src.error("E102", node, a=tt, b=vt, cast=f"{tt!r}({ast.unparse(node.value)})")
            else:
                self.src.error("E105", node.value, src=vt, dst=tt, what="target",
                               cast=f"{tt!r}({ast.unparse(node.value)})")

    # ------------------------------------------------------------------ control flow
    def s_If(self, node: ast.If) -> None:
        self.cond(node.test)
        before = self.flow.copy()
        self.assume(node.test, True)
        self.block(node.body)
        after_body = self.flow
        self.flow = before.copy()
        self.assume(node.test, False)
        self.block(node.orelse)
        self.flow = Flow.join([after_body, self.flow])

    def s_While(self, node: ast.While) -> None:
        self.src.error("E090", node)

    def s_For(self, node: ast.For) -> None:
        from .check_loops import check_for
        check_for(self, node)


def _aug_symbol(op: ast.operator) -> str:
    """``*=`` for Mult: messages show the operator as the user wrote it."""
    return {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.FloorDiv: "//=", ast.Mod: "%=",
            ast.LShift: "<<=", ast.RShift: ">>=", ast.Pow: "**=", ast.MatMult: "@=",
            ast.Div: "/=", ast.BitAnd: "&=", ast.BitOr: "|=", ast.BitXor: "^="}.get(type(op), "?=")


def _stmt_name(node: ast.AST) -> str:
    names = {"With": "a with statement", "AsyncWith": "async with", "Try": "try/except",
             "TryStar": "try/except*", "Raise": "raise", "Assert": "assert", "Import": "import",
             "ImportFrom": "import", "ClassDef": "a nested class", "FunctionDef": "a nested function",
             "AsyncFunctionDef": "a nested async function", "Nonlocal": "nonlocal",
             "Match": "match", "AsyncFor": "async for", "Lambda": "lambda"}
    return names.get(type(node).__name__, type(node).__name__)

