"""Collect a file's module-level items (LANGUAGE.md §2) without executing anything."""
from __future__ import annotations

import ast

from ..types import BpfType, StructType
from .consts import ConstFolder
from .items import MAP_KINDS, FuncDef, GlobalDef, ModuleInfo
from .maps_decl import parse_map_decl
from .names import DslNames
from .sections import check_section
from .source import Source
from .typeexpr import type_expr

class Collector:
    """Walks the module body once and records every item BPF code may use."""

    def __init__(self, src: Source, tree: ast.Module) -> None:
        self.src = src
        self.tree = tree
        self.names = DslNames()
        self.info = ModuleInfo(src, self.names)
        self.fold = ConstFolder(src, self.info.consts, self.names)

    def collect(self) -> ModuleInfo:
        for stmt in self.tree.body:
            self.names.learn_import(stmt)
        for stmt in self.tree.body:
            self._item(stmt)
        if not self.info.programs and not self.src.errors:
            self.src.error("E010", (1, 0, None))
        return self.info

    # ------------------------------------------------------------------ dispatch
    def _item(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef):
            self._function(stmt)
        elif isinstance(stmt, ast.AsyncFunctionDef) and stmt.decorator_list:
            self.src.error("E020", stmt, what="async def")
        elif isinstance(stmt, ast.ClassDef):
            self._class(stmt)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name):
            self._assign(stmt.targets[0].id, stmt.value, stmt)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            self._global(stmt)
        else:
            for target in _bound_names(stmt):
                self.info.ignored.setdefault(target, stmt)

    def _function(self, fn: ast.FunctionDef) -> None:
        for deco in fn.decorator_list:
            call = deco.func if isinstance(deco, ast.Call) else deco
            what = self.names.dsl(call)
            if what == "bpf_program":
                self._program(fn, deco)
                return
            if what == "bpf_function":
                if isinstance(deco, ast.Call):
                    self.src.error("E011", deco)
                self._unique(fn.name, fn)
                self.info.functions[fn.name] = FuncDef(fn.name, fn, None, deco)
                return
        self.info.ignored.setdefault(fn.name, fn)

    def _program(self, fn: ast.FunctionDef, deco: ast.expr) -> None:
        if not (isinstance(deco, ast.Call) and len(deco.args) == 1 and not deco.keywords and
                isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str)):
            self.src.error("E012", deco)
            return
        section = deco.args[0].value
        if not check_section(section):
            self.src.error("E013", deco, section=section)
            return
        self._unique(fn.name, fn)
        self.info.programs[fn.name] = FuncDef(fn.name, fn, section, deco)

    def _class(self, cls: ast.ClassDef) -> None:
        if not any(self.names.dsl(d) == "struct" for d in cls.decorator_list):
            self.info.ignored.setdefault(cls.name, cls)
            return
        members: list[tuple[str, BpfType]] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.src.error("E031", stmt.value)
                t = self.type_expr(stmt.annotation, allow_opaque=True)
                if t is not None:
                    members.append((stmt.target.id, t))
            elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and
                                                 isinstance(stmt.value, ast.Constant)):
                continue
            else:
                self.src.error("E030", stmt)
        self._unique(cls.name, cls)
        self.info.structs[cls.name] = StructType(cls.name, members)
        self.info.struct_nodes[cls.name] = cls

    def _assign(self, name: str, value: ast.expr, stmt: ast.stmt) -> None:
        if name == "LICENSE":
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.info.license = value.value
            else:
                self.src.error("E014", value)
            return
        if isinstance(value, ast.Call) and self.names.dsl(value.func) in MAP_KINDS:
            self._map(name, value)
            return
        if self.fold.is_constant_expr(value):
            v = self.fold.fold(value)
            if v is not None:
                self._unique(name, stmt)
                self.info.consts[name] = v
            return
        self.info.ignored.setdefault(name, stmt)

    def _global(self, stmt: ast.AnnAssign) -> None:
        name = stmt.target.id  # type: ignore[union-attr]
        t = self.type_expr(stmt.annotation)
        if t is None:
            return
        init = 0
        if stmt.value is not None:
            v = self.fold.fold(stmt.value)
            if v is None:
                return
            if not hasattr(t, "wrap"):
                self.src.error("E032", stmt.value, type=t)
                return
            if not getattr(t, "fits", lambda _v: v in (0, 1))(v):
                self.src.error("E041", stmt.value, value=v, type=t)
                return
            init = v
        self._unique(name, stmt)
        self.info.globals[name] = GlobalDef(name, t, init, stmt)

    def _unique(self, name: str, node: ast.AST) -> None:
        info = self.info
        if any(name in d for d in (info.consts, info.structs, info.maps, info.globals,
                                   info.programs, info.functions)):
            self.src.error("E015", node, name=name)

    # ------------------------------------------------------------------ maps
    def _map(self, name: str, call: ast.Call) -> None:
        md = parse_map_decl(self.info, self.fold, name, call)
        if md is not None:
            self._unique(name, call)
            self.info.maps[name] = md

    # ------------------------------------------------------------------ types
    def type_expr(self, node: ast.expr, allow_opaque: bool = False) -> BpfType | None:
        """Evaluate a type expression: ``u32``, ``bool``, ``u8[W * H]``, a struct name."""
        return type_expr(self.info, self.fold, node, allow_opaque)


def _bound_names(stmt: ast.stmt) -> list[str]:
    out: list[str] = []
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            out.extend(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for a in stmt.names:
            out.append((a.asname or a.name).split(".")[0])
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append(stmt.name)
    return out

