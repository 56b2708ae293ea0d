"""Typing calls: casts, constructors, builtins, helpers, subprograms, map and timer methods."""
from __future__ import annotations

import ast
from typing import Any

from ..types import (BOOL, INT_TYPES, ArrayType, BpfType, IntType, RefType, StructType,
                     i64)
from .check_expr import ERR, is_int
from .helper_table import HELPERS
from .typed import Call


class CallChecker:
    """Mixin of FunctionChecker: ``e_Call`` resolves and types every call."""

    fi: Any
    src: Any
    info: Any
    fold: Any

    def e_Call(self, node: ast.Call, expect: BpfType | None) -> BpfType:
        func = node.func
        dsl = self.info.names.dsl(func)
        if isinstance(func, ast.Attribute) and dsl is None:
            return self._method(node, func)
        if isinstance(func, ast.Subscript):
            return self._array_new(node)
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            self.src.error("E100", node, what="*args / **kwargs in a call")
            return ERR
        if dsl in INT_TYPES or (isinstance(func, ast.Name) and func.id in ("int", "bool")
                                and func.id not in self.fi.locals):
            t = INT_TYPES[dsl] if dsl in INT_TYPES else (i64 if func.id == "int" else BOOL)
            return self._cast(node, t)
        if dsl is not None and dsl.startswith("helpers."):
            return self._helper(node, dsl[8:])
        if dsl is not None and dsl.startswith("kernel."):
            from .kernel_types import check_kernel_cast
            return check_kernel_cast(self, node, dsl[7:])
        if isinstance(func, ast.Name):
            name = func.id
            if name in self.fi.locals:
                self.src.error("E140", func, name=name)
                return ERR
            if name in self.info.structs:
                return self._struct_new(node, self.info.structs[name])
            if name in self.info.all_funcs:
                return self._call_func(node, name)
            if name in self.info.consts or name in self.info.globals:
                self.src.error("E140", func, name=name)     # e.g. `min = 3` at module level
                return ERR
            if name in self.info.ignored:
                self.resolve(func)          # E060: a userspace name, even one hiding a builtin
                return ERR
            if name in ("min", "max", "abs", "len"):
                return getattr(self, "_b_" + name)(node, expect)
            if name == "range":
                self.src.error("E095", node)
                return ERR
            if name == "print":
                self.src.error("E141", node)
                return ERR
        if isinstance(func, ast.Name):
            self.resolve(func)
            if not self.src.errors or self.src.errors[-1].lineno != func.lineno:
                self.src.error("E142", func, name=ast.unparse(func))
        else:
            self.src.error("E142", func, name=ast.unparse(func))
        return ERR

    def _record(self, node: ast.Call, kind: str, name: str = "", t: BpfType | None = None,
                extra: Any = None) -> None:
        self.fi.calls[node] = Call(kind, name, t, extra)

    def _nargs(self, node: ast.Call, n: int | tuple[int, int], what: str) -> bool:
        lo, hi = (n, n) if isinstance(n, int) else n
        if node.keywords and lo <= len(node.args) + len(node.keywords) <= hi:
            self.src.error("E149", node.keywords[0], what=what)
            return False
        if node.keywords or not lo <= len(node.args) <= hi:
            self.src.error("E143", node, what=what, n=lo if lo == hi else f"{lo} to {hi}",
                           got=len(node.args) + len(node.keywords))
            return False
        return True

    # ------------------------------------------------------------------ casts and constructors
    def _cast(self, node: ast.Call, t: BpfType) -> BpfType:
        if not self._nargs(node, (0, 1) if t is not BOOL else 1, repr(t)):
            return ERR
        self._record(node, "cast" if t is not BOOL else "bool", repr(t), t)
        if not node.args:
            self.fi.consts[node] = 0
            return t
        arg = node.args[0]
        if t is BOOL:
            self.cond(arg)
            return BOOL
        if self.fold.is_constant_expr(arg):
            v = self.fold.fold(arg)
            if v is None:
                return ERR
            self.fi.types[arg] = t
            self.fi.consts[arg] = v
            self.fi.consts[node] = t.wrap(v)
            return t
        at = self.expr(arg)
        if at is not ERR and not (is_int(at) or at is BOOL):
            self.src.error("E144", arg, type=at, to=t)
        return t

    def _struct_new(self, node: ast.Call, st: StructType) -> BpfType:
        if node.args:
            self.src.error("E145", node, name=st.name)
            return ERR
        for kw in node.keywords:
            f = st.by_name.get(kw.arg or "")
            if f is None:
                self.src.error("E131", kw.value, struct=st.name, name=kw.arg,
                               fields=", ".join(x.name for x in st.fields) or "none")
                continue
            self.value_into(kw.value, f.type, f"field {st.name}.{f.name}")
        self._record(node, "struct_new", st.name, st)
        return st

    def _array_new(self, node: ast.Call) -> BpfType:
        from .typeexpr import eval_type
        t = eval_type(self.info, self.fold, node.func)
        if t is None:
            return ERR
        if node.args or node.keywords:
            self.src.error("E146", node)
            return ERR
        self._record(node, "array_new", "", t)
        return t

    # ------------------------------------------------------------------ builtins
    def _b_min(self, node: ast.Call, expect: BpfType | None) -> BpfType:
        return self._minmax(node, "min", expect)

    def _b_max(self, node: ast.Call, expect: BpfType | None) -> BpfType:
        return self._minmax(node, "max", expect)

    def _minmax(self, node: ast.Call, name: str, expect: BpfType | None) -> BpfType:
        if node.keywords or len(node.args) < 2:
            self.src.error("E147", node, name=name)
            return ERR
        t = self.unify(node.args[0], node.args[1], expect, node)
        for a in node.args[2:]:
            at = self.expr(a, t if self.flexible(a) and is_int(t) else None)
            t = self.common(t, at, node.args[0], a, node)
        # re-type earlier operands against the final type so the lowering sees one type
        self._record(node, "builtin", name, t)
        return t

    def _b_abs(self, node: ast.Call, expect: BpfType | None) -> BpfType:
        if not self._nargs(node, 1, "abs"):
            return ERR
        t = self.expr(node.args[0], expect if self.flexible(node.args[0]) else None)
        if t is not ERR and not is_int(t):
            self.src.error("E111", node.args[0], type=t)
            return ERR
        self._record(node, "builtin", "abs", t)
        return t

    def _b_len(self, node: ast.Call, expect: BpfType | None) -> BpfType:
        if not self._nargs(node, 1, "len"):
            return ERR
        t = self.expr(node.args[0])
        t = t.target if isinstance(t, RefType) else t
        if not isinstance(t, ArrayType):
            if t is not ERR:
                self.src.error("E148", node.args[0], type=t)
            return ERR
        self._record(node, "builtin", "len", i64, t.length)
        self.fi.consts[node] = t.length
        return expect if isinstance(expect, IntType) and expect.fits(t.length) else i64

    # ------------------------------------------------------------------ helpers
    def _helper(self, node: ast.Call, name: str) -> BpfType:
        h = HELPERS.get(name)
        if h is None:
            self.src.error("E150", node.func, name=name,
                           names=", ".join(sorted(n for n in HELPERS if not n.startswith("_"))))
            return ERR
        return h.check(self, node)

    # ------------------------------------------------------------------ subprograms
    def _call_func(self, node: ast.Call, name: str) -> BpfType:
        fdef = self.info.all_funcs[name]
        if fdef.section is not None:
            self.src.error("E151", node.func, name=name)
            return ERR
        sig = self.signatures.get(name)
        if sig is None:
            return ERR
        params, ret = sig
        if node.keywords or len(node.args) != len(params):
            if node.keywords and len(node.args) + len(node.keywords) == len(params):
                self.src.error("E149", node.keywords[0], what=name)
                return ERR
            self.src.error("E143", node, what=name, n=len(params), got=len(node.args) + len(node.keywords))
            return ERR
        for (pname, ptype, byref), arg in zip(params, node.args):
            if byref:
                at = self.expr(arg)
                at_t = at.target if isinstance(at, RefType) else at
                if at is not ERR and at_t != ptype:
                    self.src.error("E152", arg, param=pname, type=ptype, got=at_t)
                elif isinstance(at, RefType) and at.space == "probe":
                    # the callee reads its parameter directly, which only BTF pointers allow
                    self.src.error("E267", arg, param=pname, type=at_t)
            else:
                self.value_into(arg, ptype, f"parameter {pname!r}")
        self.fi.callees.add(name)
        self.call_sites.setdefault(name, node)
        self._record(node, "func", name, ret)
        return ret if ret is not None else ERR

    # ------------------------------------------------------------------ methods
    def _method(self, node: ast.Call, func: ast.Attribute) -> BpfType:
        from .check_methods import check_method
        return check_method(self, node, func)

