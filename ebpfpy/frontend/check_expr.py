"""Typing expressions with the integer rules of LANGUAGE.md §3."""
from __future__ import annotations

import ast
from typing import Any

from ..types import (BOOL, ArrayType, BoolType, BpfType, IntType, MapType, RefType, StructType,
                     common_int, i64, widens_to)
from .typed import Local, Sym


class ErrType(BpfType):
    """The type of an expression already reported as wrong (stops error cascades)."""

    def __repr__(self) -> str:
        return "<error>"


ERR = ErrType()
COMPARE_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor)


def is_int(t: BpfType) -> bool:
    return isinstance(t, IntType)


class ExprChecker:
    """Mixin of FunctionChecker: ``expr`` types a node and records it in ``fi.types``."""

    fi: Any
    src: Any
    info: Any
    flow: Any
    fold: Any

    # ------------------------------------------------------------------ entry points
    def expr(self, node: ast.expr, expect: BpfType | None = None) -> BpfType:
        if self.fold.is_constant_expr(node):
            return self._constant(node, expect)
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            self.src.error("E100", node, what=_construct(node))
            t = ERR
        else:
            t = method(node, expect)
        self.fi.types[node] = t
        return t

    def cond(self, node: ast.expr) -> None:
        """Type a condition: bool, an integer (``!= 0``) or a reference (``is not None``)."""
        if isinstance(node, ast.BoolOp):
            saved = self.flow.copy()
            for v in node.values:
                self.cond(v)
                self.assume(v, isinstance(node.op, ast.And))
            self.flow = saved
            self.fi.types[node] = BOOL
            return
        if isinstance(node, ast.Name) and self._nullable_name(node):
            self.fi.types[node] = self.fi.locals[node.id].type
            self.fi.names[node] = Sym("local", self.fi.locals[node.id])
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.cond(node.operand)
            self.fi.types[node] = BOOL
            return
        t = self.expr(node)
        if isinstance(t, RefType) and not t.nullable:
            # a struct or array object is always true in Python: almost surely a mistake
            self.src.error("E110", node, type=t.target)
        elif not (is_int(t) or t is BOOL or t is ERR or isinstance(t, RefType)):
            self.src.error("E110", node, type=t)

    def _nullable_name(self, node: ast.Name) -> bool:
        loc = self.fi.locals.get(node.id)
        return loc is not None and loc.nullable

    def _constant(self, node: ast.expr, expect: BpfType | None) -> BpfType:
        v = self.fold.fold(node)
        if v is None:
            self.fi.types[node] = ERR
            return ERR
        t = expect if isinstance(expect, IntType) else i64
        if not t.fits(v):
            if expect is not None and isinstance(expect, IntType):
                self.src.error("E041", node, value=v, type=t)
            else:
                self.src.error("E044", node, value=v)
            t = ERR
        self.fi.types[node] = t
        self.fi.consts[node] = v
        return t

    # ------------------------------------------------------------------ flexible operands
    def nonneg_range(self, node: ast.expr) -> tuple[int, int] | None:
        """The range of a value that adapts to an unsigned operand (constants, range vars)."""
        if self.fold.is_constant_expr(node):
            v = self.fold.try_fold(node)
            return (v, v) if v is not None else None
        if isinstance(node, ast.Name) and node.id in self.loop_vars:
            lo, hi = self.loop_vars[node.id]
            if lo >= 0 and node.id not in self.reassigned_loop_vars:
                return lo, hi
        return None

    def flexible(self, node: ast.expr) -> bool:
        return self.nonneg_range(node) is not None

    def unify(self, a: ast.expr, b: ast.expr, expect: BpfType | None, at: ast.AST) -> BpfType:
        """Type two operands that must share a type; return that type."""
        fa, fb = self.flexible(a), self.flexible(b)
        exp = expect if isinstance(expect, IntType) else None
        if fa and fb:
            if exp is None:
                ta = self.expr(a)
                tb = self.expr(b, ta if is_int(ta) else None)
            else:
                ta, tb = self.expr(a, exp), self.expr(b, exp)
        elif fa:
            tb = self.expr(b)
            ta = self.expr(a, tb if is_int(tb) else exp)
        elif fb:
            ta = self.expr(a)
            tb = self.expr(b, ta if is_int(ta) else exp)
        else:
            ta, tb = self.expr(a), self.expr(b)
        return self.common(ta, tb, a, b, at)

    def common(self, ta: BpfType, tb: BpfType, a: ast.expr, b: ast.expr, at: ast.AST) -> BpfType:
        if ta is ERR or tb is ERR:
            return ERR
        for t, n in ((ta, a), (tb, b)):
            if t is BOOL:
                self.src.error("E103", n)
                return ERR
            if not is_int(t):
                self.src.error("E111", n, type=t)
                return ERR
        c = common_int(ta, tb)
        if c is None:
            signed, unsigned = (a, b) if ta.signed else (b, a)
            ut = tb if ta.signed else ta
            self.src.error("E102", at, a=ta, b=tb, cast=f"{ut!r}({ast.unparse(signed)})")
            return ERR
        # the narrower operand is widened; remember the common type for the lowering
        return c

    # ------------------------------------------------------------------ operators
    def e_BinOp(self, node: ast.BinOp, expect: BpfType | None) -> BpfType:
        op = node.op
        if isinstance(op, (ast.LShift, ast.RShift)):
            lt = self.expr(node.left, expect if self.flexible(node.left) else None)
            rt = self.expr(node.right)
            for t, n in ((lt, node.left), (rt, node.right)):
                if t is not ERR and not is_int(t):
                    self.src.error("E111" if t is not BOOL else "E103", n, type=t)
                    return ERR
            if lt is ERR or rt is ERR:
                return ERR
            count = self.fi.consts.get(node.right)
            if count is not None and not 0 <= count < lt.bits:
                self.src.error("E043", node.right, count=count, type=lt, bits=lt.bits)
                return ERR
            return lt
        if isinstance(op, ast.Div):
            self.src.error("E101", node)
            return ERR
        if not isinstance(op, ARITH_OPS):
            self.src.error("E100", node, what=f"the operator {_opname(op)}")
            return ERR
        return self.unify(node.left, node.right, expect, node)

    def e_UnaryOp(self, node: ast.UnaryOp, expect: BpfType | None) -> BpfType:
        if isinstance(node.op, ast.Not):
            self.cond(node.operand)
            return BOOL
        t = self.expr(node.operand, expect if self.flexible(node.operand) else None)
        if t is ERR:
            return ERR
        if not is_int(t):
            self.src.error("E111" if t is not BOOL else "E103", node.operand, type=t)
            return ERR
        return t

    def e_BoolOp(self, node: ast.BoolOp, expect: BpfType | None) -> BpfType:
        saved = self.flow.copy()
        for v in node.values:
            t = self.expr(v)
            if t is not BOOL and t is not ERR:
                self.src.error("E104", v, op=type(node.op).__name__.lower(), type=t)
            self.assume(v, isinstance(node.op, ast.And))
        self.flow = saved
        return BOOL

    def e_Compare(self, node: ast.Compare, expect: BpfType | None) -> BpfType:
        left = node.left
        saved = self.flow.copy()
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)):
                self._is_none(left, right, node)
            elif isinstance(op, (ast.In, ast.NotIn)):
                self._contains(left, right, node)
            elif isinstance(op, COMPARE_OPS):
                ta = self.fi.types.get(left) if left is not node.left else None
                if ta is None:
                    self.unify(left, right, None, node)
                else:
                    tb = self.expr(right, ta if self.flexible(right) else None)
                    self.common(ta, tb, left, right, node)
            else:
                self.src.error("E100", node, what=f"the operator {_opname(op)}")
            self.assume(ast.Compare(left=left, ops=[op], comparators=[right]), True)
            left = right
        self.flow = saved
        return BOOL

    def _is_none(self, left: ast.expr, right: ast.expr, node: ast.AST) -> None:
        if not (isinstance(right, ast.Constant) and right.value is None):
            self.src.error("E112", node)
            return
        if isinstance(left, ast.Name) and self._nullable_name(left):
            loc = self.fi.locals[left.id]
            self.fi.types[left] = loc.type
            self.fi.names[left] = Sym("local", loc)
            self.fi.types[right] = loc.type
            return
        loc = self.fi.locals.get(left.id) if isinstance(left, ast.Name) else None
        if loc is not None and loc.mode == "ref" and loc.space in ("kernel", "probe"):
            # a kernel pointer may be NULL (reading through it then gives zeros): testing it
            # is allowed and never required
            self.fi.types[left] = loc.type
            self.fi.names[left] = Sym("local", loc)
            self.fi.types[right] = loc.type
            return
        self.src.error("E113", left)

    def _contains(self, left: ast.expr, right: ast.expr, node: ast.AST) -> None:
        m = self.map_of(right)
        if m is None:
            self.src.error("E114", right)
            return
        self.fi.types[right] = m.type
        self.key_expr(left, m)

    def e_IfExp(self, node: ast.IfExp, expect: BpfType | None) -> BpfType:
        self.cond(node.test)
        saved = self.flow.copy()
        self.assume(node.test, True)
        consts_only = self.flexible(node.body) and self.flexible(node.orelse)
        exp = expect if consts_only and isinstance(expect, IntType) else None
        tb = self.expr(node.body, exp) if not self.flexible(node.body) or exp else None
        self.flow = saved.copy()
        self.assume(node.test, False)
        if tb is None:
            to = self.expr(node.orelse, exp)
            tb = self.expr(node.body, to if is_int(to) and self.flexible(node.body) else None)
        else:
            to = self.expr(node.orelse, tb if is_int(tb) and self.flexible(node.orelse) else None)
        self.flow = saved
        if tb is BOOL and to is BOOL:
            return BOOL
        if isinstance(tb, (StructType, ArrayType, RefType)) or isinstance(to, (StructType, ArrayType, RefType)):
            self.src.error("E115", node)
            return ERR
        return self.common(tb, to, node.body, node.orelse, node)

    # ------------------------------------------------------------------ names
    def e_Constant(self, node: ast.Constant, expect: BpfType | None) -> BpfType:
        if isinstance(node.value, bool):
            self.fi.consts[node] = int(node.value)
            return BOOL
        if node.value is None:
            self.src.error("E116", node)
        elif isinstance(node.value, float):
            self.src.error("E117", node)
        elif isinstance(node.value, (str, bytes)):
            self.src.error("E118", node)
        else:
            self.src.error("E100", node, what=repr(node.value))
        return ERR

    def e_Name(self, node: ast.Name, expect: BpfType | None) -> BpfType:
        sym = self.resolve(node)
        if sym is None:
            return ERR
        self.fi.names[node] = sym
        if sym.kind == "local":
            loc: Local = sym.target
            if loc.nullable and node.id not in self.flow.nonnull:
                self.src.error("E070", node, name=node.id)
                return ERR
            r = self.nonneg_range(node)
            if r is not None and isinstance(expect, IntType) and not expect.signed and \
                    expect.fits(r[0]) and expect.fits(r[1]):
                return expect
            if loc.mode == "ref":
                return RefType(loc.type, False, loc.space)
            return loc.type
        if sym.kind == "global":
            return sym.target.type
        if sym.kind == "map":
            self.src.error("E120", node, name=node.id)
            return ERR
        self.src.error("E121", node, name=node.id,
                       kind={"func": "@bpf_function", "struct": "@struct class"}.get(sym.kind, sym.kind))
        return ERR

    def resolve(self, node: ast.Name) -> Sym | None:
        """What a Name means inside BPF code, or None after an error."""
        name = node.id
        if name in self.fi.locals:
            return Sym("local", self.fi.locals[name])
        info = self.info
        if name in info.globals:
            return Sym("global", info.globals[name])
        if name in info.maps:
            return Sym("map", info.maps[name])
        if name in info.all_funcs:
            return Sym("func", info.all_funcs[name])
        if name in info.structs:
            return Sym("struct", info.structs[name])
        if name in info.ignored and not (isinstance(info.ignored[name], ast.ImportFrom)
                                         and self.info.names.dsl(node) is not None):
            self.src.error("E060", node, name=name, line=info.ignored[name].lineno)
            return None
        if name in ("print", "open", "input", "len", "min", "max", "abs", "range", "int", "bool"):
            self.src.error("E122", node, name=name)
            return None
        if self.info.names.dsl(node) is not None:
            self.src.error("E123", node, name=name)
            return None
        self.src.error("E061", node, name=name)
        return None

    def map_of(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id not in self.fi.locals and node.id in self.info.maps:
            self.fi.names[node] = Sym("map", self.info.maps[node.id])
            self.fi.types[node] = self.info.maps[node.id].type
            return self.info.maps[node.id]
        return None

    def key_expr(self, node: ast.expr, m: Any) -> None:
        """Type a map key: it converts implicitly to the map's key type."""
        mt: MapType = m.type
        self.value_into(node, mt.key, "key")

    def value_into(self, node: ast.expr, dst: BpfType, what: str) -> BpfType:
        """Type ``node`` for storing into ``dst`` (implicit conversions only)."""
        t = self.expr(node, dst if isinstance(dst, IntType) else None)
        if t is ERR:
            return ERR
        if isinstance(t, RefType):
            t = t.target
        if isinstance(dst, BoolType) and t is BOOL:
            return t
        if t is BOOL and isinstance(dst, IntType):
            self.src.error("E103", node)
            return ERR
        if not widens_to(t, dst) and not (isinstance(t, (StructType, ArrayType)) and t == dst):
            if isinstance(t, IntType) and isinstance(dst, IntType):
                self.src.error("E105", node, src=t, dst=dst, what=what, cast=f"{dst!r}({ast.unparse(node)})")
            else:
                self.src.error("E106", node, src=t, dst=dst, what=what)
            return ERR
        return t


def _construct(node: ast.AST) -> str:
    names = {"Lambda": "lambda", "ListComp": "a list comprehension", "DictComp": "a dict comprehension",
             "SetComp": "a set comprehension", "GeneratorExp": "a generator expression",
             "List": "a list", "Dict": "a dict", "Set": "a set", "Tuple": "a tuple",
             "JoinedStr": "an f-string", "Await": "await", "Yield": "yield", "YieldFrom": "yield from",
             "NamedExpr": "the walrus operator :=", "Starred": "*unpacking", "Slice": "a slice"}
    return names.get(type(node).__name__, type(node).__name__)


def _opname(op: ast.AST) -> str:
    return {"MatMult": "@", "Pow": "**", "Div": "/", "Is": "is", "IsNot": "is not",
            "In": "in", "NotIn": "not in"}.get(type(op).__name__, type(op).__name__)
