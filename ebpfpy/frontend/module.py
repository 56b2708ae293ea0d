"""Collect a file's module-level items (LANGUAGE.md §2) without executing anything."""
from __future__ import annotations

import ast
import re
from typing import Any

from ..map_kinds import MapKind
from ..types import BOOL, LISTNODE, RBNODE, REFCOUNT, SPINLOCK, ArrayType, BpfType, FlexType, GraphRootType, IntType, \
    OpaqueType, RefType, StructType, UnionType, iter_scalars
from .consts import ConstFolder
from .contexts import missing_trace_target
from .idents import check_btf_name, nested_definitions
from ..model.items import FuncDef, GlobalDef, ModuleInfo
from ..model.kernel_types import KernelEnum, flavour_struct, kernel_struct
from .maps_decl import parse_map_decl
from ..model.names import DslNames
from ..model.sections import kind_of
from ..model.source import Source
from .typeexpr import fixed_size, flex_field, type_expr
from ..model.walk import all_nodes

MAX_TYPE_DEPTH = 64        # deeper types overflow the recursion of llvmlite's metadata hashing
_DEF_NAME = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")
DECORATORS = ("bpf_program", "bpf_function", "struct", "union", "kernel_struct", "kernel_enum")
CLASS_DECORATORS = ("struct", "union", "kernel_struct", "kernel_enum")


class Collector:
    """Walks the module body once and records every item BPF code may use."""

    def __init__(self, src: Source, tree: ast.Module) -> None:
        self.src = src
        self.tree = tree
        self.names = DslNames()
        self.info = ModuleInfo(src, self.names)
        self.fold = ConstFolder(src, self.info.consts, self.names)
        self._depths: dict[str, int] = {}           # struct name -> nesting depth

    def _depth(self, t: BpfType) -> int:
        if isinstance(t, StructType):
            return self._depths.get(t.name, 1)
        return 1 + self._depth(t.elem) if isinstance(t, ArrayType) else 0

    def _too_deep(self, t: BpfType) -> bool:
        while isinstance(t, ArrayType):
            t = t.elem
        return isinstance(t, StructType) and self._depths.get(t.name, 0) > MAX_TYPE_DEPTH

    def collect(self) -> ModuleInfo:
        for stmt in self.tree.body:
            self.names.learn_import(stmt)
        for stmt in self.tree.body:
            self._item(stmt)
        self._misplaced_decorators()
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
        elif _constant_unpacking(stmt):
            # ``MOUNT, UMOUNT = 1, 2`` (C's enum): each name is a constant, as if assigned
            # one per line; anything else unpacked stays Python's (E060 if BPF code uses it)
            assert isinstance(stmt, ast.Assign)
            names, values = stmt.targets[0].elts, stmt.value.elts   # type: ignore[attr-defined]
            if all(self.fold.is_constant_expr(v) for v in values):
                for n, v in zip(names, values):
                    self._assign(n.id, v, stmt)
            else:
                for target in _bound_names(stmt):
                    self.info.ignored.setdefault(target, stmt)
        else:
            for target in _bound_names(stmt):
                self.info.ignored.setdefault(target, stmt)

    def _dsl_decorators(self, node: ast.FunctionDef | ast.ClassDef) -> list[tuple[str, ast.expr]]:
        out = []
        for deco in node.decorator_list:
            what = self.names.dsl(deco.func if isinstance(deco, ast.Call) else deco)
            if what in DECORATORS:
                out.append((what, deco))
        return out

    def _function(self, fn: ast.FunctionDef) -> None:
        decos = self._dsl_decorators(fn)
        kinds = [(what, deco) for what, deco in decos if what not in CLASS_DECORATORS]
        for what, deco in decos:
            if what in CLASS_DECORATORS:
                self.src.error("E017", deco, what=what, target="class", where="a function")
        if len(kinds) > 1:
            self.src.error("E016", kinds[1][1], name=fn.name)
        if not kinds:
            self.info.ignored.setdefault(fn.name, fn)
            return
        what, deco = kinds[0]
        self._function_names(fn)
        if what == "bpf_program":
            self._program(fn, deco)
            return
        if isinstance(deco, ast.Call):
            self.src.error("E011", deco)
        self._unique(fn.name, fn)
        self.info.functions[fn.name] = FuncDef(fn.name, fn, None, deco)

    def _function_names(self, fn: ast.FunctionDef) -> None:
        """Function and parameter names become BTF FUNC / FUNC_PROTO names."""
        check_btf_name(self.src.error, self._name_at(fn, fn.name), fn.name, "function")
        a = fn.args
        for p in a.posonlyargs + a.args + a.kwonlyargs:
            check_btf_name(self.src.error, p, p.arg, "parameter")

    def _name_at(self, node: ast.stmt, name: str) -> ast.AST | tuple[int, int, int | None]:
        """The span of ``name`` after the keyword of a def/class (the node itself if not found)."""
        line = self.src.line(node.lineno) or ""
        m = _DEF_NAME.match(line, self.src.char_col(node.lineno, node.col_offset))
        if m is None or m.group(1) != name:
            return node
        return (node.lineno, m.start(1), m.end(1))

    def _misplaced_decorators(self) -> None:
        """@bpf_program, @bpf_function and @struct act only on module-level defs/classes."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ClassDef):
                for what, deco in self._dsl_decorators(stmt):
                    if what not in CLASS_DECORATORS:
                        self.src.error("E017", deco, what=what, target="function", where="a class")
                if stmt.name in self.info.structs or stmt.name in self.info.kernel_types \
                        or stmt.name in self.info.kernel_enums:
                    continue                     # its body is checked as fields (E030)
                found = nested_definitions(stmt.body, "a class")
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if stmt.name in self.info.programs or stmt.name in self.info.functions:
                    continue                     # BPF bodies: the checker reports nested defs
                found = nested_definitions(stmt.body, "a function")
            else:
                found = nested_definitions([stmt], "the module")
            for node, where in found:
                for what, deco in self._dsl_decorators(node):   # type: ignore[arg-type]
                    target = "class" if what in CLASS_DECORATORS else "function"
                    self.src.error("E017", deco, what=what, target=target, where=where)

    def _program(self, fn: ast.FunctionDef, deco: ast.expr) -> None:
        if not (isinstance(deco, ast.Call) and len(deco.args) == 1 and not deco.keywords and
                isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str)):
            self.src.error("E012", deco)
            return
        section = deco.args[0].value
        kind = kind_of(section)
        if kind is None:
            self.src.error("E013", deco, section=section)
            return
        missing = missing_trace_target(kind.name, section)
        if missing is not None:
            self.src.error("E266", deco.args[0], **missing)
        self._unique(fn.name, fn)
        self.info.programs[fn.name] = FuncDef(fn.name, fn, section, deco)

    def _class(self, cls: ast.ClassDef) -> None:
        if any(self.names.dsl(d) == "kernel_struct" for d in cls.decorator_list):
            self._kernel_class(cls)
            return
        if any(self.names.dsl(d) == "kernel_enum" for d in cls.decorator_list):
            self._kernel_enum(cls)
            return
        if not any(self.names.dsl(d) in ("struct", "union") for d in cls.decorator_list):
            self.info.ignored.setdefault(cls.name, cls)
            return
        is_union = any(self.names.dsl(d) == "union" for d in cls.decorator_list)
        members: list[tuple[str, BpfType]] = []
        check_btf_name(self.src.error, self._name_at(cls, cls.name), cls.name, "struct")
        depth = 1
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.src.error("E031", stmt.value)
                check_btf_name(self.src.error, stmt.target, stmt.target.id, "struct field")
                t = self._field_type(stmt.annotation, is_union)
                if t is not None:
                    members.append((stmt.target.id, t))
                    depth = max(depth, 1 + self._depth(t))
            elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and
                                                 isinstance(stmt.value, ast.Constant)):
                continue
            else:
                self.src.error("E030", stmt)
        if depth > MAX_TYPE_DEPTH and not any(self._too_deep(t) for _, t in members):
            self.src.error("E039", self._name_at(cls, cls.name), name=cls.name, depth=depth,
                           limit=MAX_TYPE_DEPTH)     # once, at the first struct past the limit
        nodes = [n for n, t in members if t in (RBNODE, LISTNODE)]
        counts = [n for n, t in members if t is REFCOUNT]
        if len(nodes) > 1 and not counts:  # the kernel refuses the BTF without a bpf_refcount
            self.src.error("E291", self._name_at(cls, cls.name), name=cls.name,
                           fields=", ".join(nodes))
        if len(counts) > 1:
            self.src.error("E375", self._name_at(cls, cls.name), name=cls.name,
                           fields=", ".join(counts))
        roots = [(n, t) for n, t in members if isinstance(t, GraphRootType)]
        locks = sum(1 for _, t in members if t is SPINLOCK)
        if roots and locks != 1:          # the verifier ties a root to the one lock beside it
            self.src.error("E324", self._name_at(cls, cls.name), name=roots[0][0], n=locks)
        flex = [(i, n) for i, (n, t) in enumerate(members) if isinstance(t, FlexType)]
        if flex and flex[0][0] != len(members) - 1:
            i, name = flex[0]
            field = next(s.target for s in cls.body if isinstance(s, ast.AnnAssign)
                         and isinstance(s.target, ast.Name) and s.target.id == name)
            self.src.error("E361", field, name=name, struct=cls.name, after=members[-1][0])
        self._unique(cls.name, cls)
        self._depths[cls.name] = depth
        if is_union:
            self._union_members(cls, members)
        self.info.structs[cls.name] = (UnionType if is_union else StructType)(cls.name, members)
        self.info.struct_nodes[cls.name] = cls

    def _field_type(self, ann: ast.expr, is_union: bool) -> BpfType | None:
        """A struct field's type: ``Flex[T, N]`` only in a @struct (E362 in a union), and
        no struct of unfixed size inside another (E363)."""
        if self.names.dsl(ann.value if isinstance(ann, ast.Subscript) else ann) == "Flex":
            if is_union:
                self.src.error("E362", ann, what="a field of a @union (its fields overlap)")
                return None
            return flex_field(self.info, self.fold, ann)
        t = self.type_expr(ann, allow_opaque=True)
        if t is not None and not fixed_size(self.info, ann, t, "a field of another struct",
                                            "make it the record itself, or give the inner "
                                            "struct a fixed-size array"):
            return None
        return t

    def _union_members(self, cls: ast.ClassDef, members: list[tuple[str, BpfType]]) -> None:
        """A union overlaps its fields: kernel objects the verifier tracks by their place
        (timers, locks, kptrs, tree and list links) cannot share theirs (E196)."""
        if not members:
            self.src.error("E196", self._name_at(cls, cls.name), name=cls.name, what="no field")
        for name, t in members:
            bad = next((x for x in iter_scalars(t) if isinstance(x, OpaqueType)), None)
            if bad is not None:
                self.src.error("E196", self._name_at(cls, cls.name), name=cls.name,
                               what=f"field {name!r} ({bad!r})")

    def _kernel_class(self, cls: ast.ClassDef) -> None:
        """``@kernel_struct class task_struct___pre514``: a struct flavour (E275 unless the
        name is KERNEL_STRUCT___SUFFIX of a kernel struct; E276 for a field this kernel has
        with another type)."""
        at = self._name_at(cls, cls.name)
        base, sep, suffix = cls.name.partition("___")
        if not sep or not base or not suffix:
            self.src.error("E275", at, name=cls.name)
            return
        ks = kernel_struct(base)
        if ks is None:
            self.src.error("E260", at, name=base)
            return
        decl: list[tuple[str, BpfType]] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.src.error("E031", stmt.value)
                t = self._kernel_field_type(stmt.annotation)
                if t is None:
                    continue
                fname = stmt.target.id
                if fname in ks.unreadable:
                    self.src.error("E262", stmt.target, type=ks, name=fname,
                                   why=ks.unreadable[fname])
                    continue
                kf = ks.fields.get(fname)
                if kf is not None and kf.type != t:
                    self.src.error("E276", stmt.annotation, name=fname, type=cls.name,
                                   why=f"this kernel's {ks} has it as {kf.type}, not {t}")
                    continue
                decl.append((fname, t))
            elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and
                                                 isinstance(stmt.value, ast.Constant)):
                continue
            else:
                self.src.error("E030", stmt)
        self._unique(cls.name, cls)
        fl = flavour_struct(base, cls.name, tuple(decl))
        if fl is not None:
            self.info.kernel_types[cls.name] = fl

    def _kernel_enum(self, cls: ast.ClassDef) -> None:
        """``@kernel_enum class pid_type``: enumerators as ``NAME = value`` (the value used
        where this kernel lacks the enumerator; libbpf gives the loading kernel's)."""
        declared: list[tuple[str, int]] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], ast.Name):
                v = self.fold.fold(stmt.value, python=True)
                if v is not None:
                    declared.append((stmt.targets[0].id, v))
            elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and
                                                 isinstance(stmt.value, ast.Constant)):
                continue
            else:
                self.src.error("E278", stmt, what="a @kernel_enum class holds only "
                               "enumerators, NAME = value")
        self._unique(cls.name, cls)
        self.info.kernel_enums[cls.name] = KernelEnum(cls.name, tuple(declared))

    def _kernel_field_type(self, ann: ast.expr) -> BpfType | None:
        """A flavour field's type: an integer, bool or array of them, or a kernel struct
        (``real_parent: task_struct``) or another flavour, as a reference."""
        dsl = self.names.dsl(ann)
        if dsl is not None and dsl.startswith("kernel."):
            ks = kernel_struct(dsl[7:])
            if ks is None:
                self.src.error("E260", ann, name=dsl[7:])
                return None
            return RefType(ks, False, "kernel")
        if isinstance(ann, ast.Name) and ann.id in self.info.kernel_types:
            return RefType(self.info.kernel_types[ann.id], False, "kernel")
        t = self.type_expr(ann)
        if t is not None and not _config_type(t):
            self.src.error("E276", ann, name=ast.unparse(ann), type="a kernel struct flavour",
                           why=f"a field is an integer, a bool, an array of them or a kernel "
                               f"struct (a reference), not {t}")
            return None
        return t

    def _assign(self, name: str, value: ast.expr, stmt: ast.stmt) -> None:
        if name == "LICENSE":
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.info.license = value.value
            else:
                self.src.error("E014", value)
            return
        if isinstance(value, ast.Call) and self.names.dsl(value.func) == "Arena":
            self.src.error("E326", value.func)      # needs libbpf 1.4 (arena relocations)
            return
        if isinstance(value, ast.Call) and MapKind.named(self.names.dsl(value.func)) is not None:
            self._map(name, value, stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt)
            return
        if self.fold.is_constant_expr(value):
            v = self.fold.fold(value, python=True)
            if v is not None:
                self._unique(name, stmt)
                self.info.consts[name] = v
            return
        self.info.ignored.setdefault(name, stmt)

    def _global(self, stmt: ast.AnnAssign) -> None:
        name = stmt.target.id  # type: ignore[union-attr]
        if not check_btf_name(self.src.error, stmt.target, name, "global"):
            return
        ann, const = self._const_annotation(stmt.annotation)
        if ann is None:
            return
        t = self.type_expr(ann)
        if t is None or not fixed_size(self.info, ann, t, "a global",
                                       "build the record in a local, or reserve it from a "
                                       "ring buffer (rec = events.reserve())"):
            return
        if const == "Kconfig":
            if kconfig_ok(self.src, stmt, name, ann, t):
                self._unique(name, stmt)
                self.info.globals[name] = GlobalDef(name, t, 0, stmt, True, kconfig=True)
            return
        if const and not _config_type(t):
            self.src.error("E047", ann, type=t)
            return
        init = 0
        if stmt.value is not None:
            v = self.fold.fold(stmt.value, python=True)
            if v is None:
                return
            if not hasattr(t, "wrap") and t is not BOOL:
                self.src.error("E032", stmt.value, type=t)
                return
            if not getattr(t, "fits", lambda _v: v in (0, 1))(v):
                self.src.error("E041", stmt.value, value=v, type=t)
                return
            init = v
        self._unique(name, stmt)
        self.info.globals[name] = GlobalDef(name, t, init, stmt, const == "Const")

    def _const_annotation(self, ann: ast.expr) -> tuple[ast.expr | None, str]:
        """``Const[T]`` → (T, "Const"), ``Kconfig[T]`` → (T, "Kconfig"); any other
        annotation → (itself, "")."""
        for marker, code in (("Const", "E048"), ("Kconfig", "E272")):
            if isinstance(ann, ast.Subscript) and self.names.dsl(ann.value) == marker:
                if isinstance(ann.slice, ast.Tuple):
                    self.src.error(code, ann, **self._kconfig_args(code, ann))
                    return None, marker
                return ann.slice, marker
            if self.names.dsl(ann) == marker:
                self.src.error(code, ann, **self._kconfig_args(code, ann))
                return None, marker
        return ann, ""

    @staticmethod
    def _kconfig_args(code: str, ann: ast.expr) -> dict[str, str]:
        return {"name": "a Kconfig global", "given": ast.unparse(ann),
                "want": "one type, e.g. Kconfig[u32]"} if code == "E272" else {}

    def _unique(self, name: str, node: ast.AST) -> None:
        info = self.info
        if any(name in d for d in (info.consts, info.structs, info.maps, info.globals,
                                   info.programs, info.functions, info.kernel_types,
                                   info.kernel_enums)):
            self.src.error("E015", node, name=name)

    # ------------------------------------------------------------------ maps
    def _map(self, name: str, call: ast.Call, target: ast.AST) -> None:
        md = parse_map_decl(self.info, self.fold, name, call)
        if md is not None and check_btf_name(self.src.error, target, name, "map"):
            self._unique(name, call)
            self.info.maps[name] = md

    # ------------------------------------------------------------------ types
    def type_expr(self, node: ast.expr, allow_opaque: bool = False) -> BpfType | None:
        """Evaluate a type expression: ``u32``, ``bool``, ``u8[W * H]``, a struct name."""
        return type_expr(self.info, self.fold, node, allow_opaque)


# the virtual externs libbpf 1.1 fills itself (besides the kernel's CONFIG_* options)
KCONFIG_VIRTUAL = {"LINUX_KERNEL_VERSION": "an integer of at least 32 bits (u32)",
                   "LINUX_HAS_BPF_COOKIE": "bool", "LINUX_HAS_SYSCALL_WRAPPER": "bool"}


def kconfig_ok(src: Any, stmt: ast.AnnAssign, name: str, ann: ast.expr, t: BpfType) -> bool:
    """Whether ``name: Kconfig[t]`` is something libbpf can fill (E271-E273 otherwise):
    a CONFIG_* option as bool (y/n), an integer (numbers; u8/i8 hold the letter of y/n/m) or
    a u8[N] string, or one of libbpf's LINUX_* values."""
    if name not in KCONFIG_VIRTUAL and not name.startswith("CONFIG_"):
        src.error("E271", stmt.target, name=name, known=", ".join(KCONFIG_VIRTUAL))
        return False
    want = KCONFIG_VIRTUAL.get(name)
    if want == "bool":
        ok = t is BOOL
    elif want is not None:
        ok = isinstance(t, IntType) and t.bits >= 32
    else:
        want = "bool, an integer type or a u8[N] string"
        ok = t is BOOL or isinstance(t, IntType) or (
            isinstance(t, ArrayType) and isinstance(t.elem, IntType) and t.elem.bits == 8)
    if not ok:
        src.error("E272", ann, name=name, given=f"Kconfig[{t}]", want=want)
        return False
    if stmt.value is not None:
        src.error("E273", stmt.value, name=name)
        return False
    return True


def _config_type(t: BpfType) -> bool:
    """What a ``Const`` global may be: an integer, a bool, or (nested) arrays of them."""
    while isinstance(t, ArrayType):
        t = t.elem
    return isinstance(t, IntType) or t is BOOL


def _constant_unpacking(stmt: ast.stmt) -> bool:
    """``A, B = x, y``: one target tuple of plain names and a tuple of as many values."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return False
    target, value = stmt.targets[0], stmt.value
    return isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
        and len(target.elts) == len(value.elts) and all(isinstance(n, ast.Name) for n in target.elts)


def _bound_names(stmt: ast.stmt) -> list[str]:
    out: list[str] = []
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            out.extend(n.id for n in all_nodes(t) if isinstance(n, ast.Name))
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for a in stmt.names:
            out.append((a.asname or a.name).split(".")[0])
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append(stmt.name)
    return out

