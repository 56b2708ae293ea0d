"""Evaluate type expressions (``u32``, ``bool``, ``u8[W * H]``, ``u16[2][3]``, struct names)."""
from __future__ import annotations

import ast
from ..types import BOOL, INT_TYPES, SPINLOCK, TIMER, ArrayType, BpfType, StructType, \
    i64, iter_scalars
from .consts import ConstFolder
from ..model.items import ModuleInfo

MAX_ARRAY_BYTES = 1 << 28


def type_expr(info: ModuleInfo, fold: ConstFolder, node: ast.expr,
              allow_opaque: bool = False) -> BpfType | None:
    """The type of a declaration (``u32``, ``u8[W * H]``, a struct name), or None after an
    error; Timer/SpinLock only inside a struct unless ``allow_opaque``."""
    t = eval_type(info, fold, node)
    if t is not None and not allow_opaque and any(s in (TIMER, SPINLOCK) for s in iter_scalars(t)) \
            and not isinstance(t, StructType):
        info.src.error("E033", node)
        return None
    return t


def eval_type(info: ModuleInfo, fold: ConstFolder, node: ast.expr) -> BpfType | None:
    """The type ``node`` denotes, or None after reporting an error at it."""
    src, names = info.src, info.names
    if isinstance(node, ast.Subscript):
        elem = eval_type(info, fold, node.value)
        if elem is None:
            return None
        n = fold.fold(node.slice)
        if n is None:
            return None
        if n <= 0:
            src.error("E034", node.slice, n=n)
            return None
        if elem.size * n > MAX_ARRAY_BYTES:
            src.error("E035", node, size=elem.size * n)
            return None
        if isinstance(elem, ArrayType):
            return elem[n]
        return ArrayType(elem, n)
    if isinstance(node, ast.Name):
        if node.id == "bool":
            return BOOL
        if node.id == "int":
            return i64
        if node.id in info.structs:
            return info.structs[node.id]
    dsl = names.dsl(node)
    if dsl in INT_TYPES:
        return INT_TYPES[dsl]
    if dsl == "Timer":
        return TIMER
    if dsl == "SpinLock":
        return SPINLOCK
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        src.error("E036", node)
        return None
    what = ast.unparse(node) if hasattr(ast, "unparse") else "this"
    if isinstance(node, ast.Name) and node.id in ("float", "str", "list", "dict", "set", "bytes", "tuple"):
        src.error("E037", node, name=node.id)
    else:
        src.error("E038", node, what=what)
    return None
