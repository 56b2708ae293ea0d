"""Evaluate type expressions (``u32``, ``bool``, ``u8[W * H]``, ``u16[2][3]``, struct names)."""
from __future__ import annotations

import ast
from ..types import BOOL, GRAPH_NODES, INT_TYPES, LISTNODE, RBNODE, REFCOUNT, SPINLOCK, TIMER, ArrayType, \
    BpfType, GraphRootType, KptrType, StructType, i64, iter_scalars, kernel_owned
from .consts import ConstFolder
from ..model.items import ModuleInfo
from ..model.kernel_types import kernel_has_struct

MAX_ARRAY_BYTES = 1 << 28


def type_expr(info: ModuleInfo, fold: ConstFolder, node: ast.expr,
              allow_opaque: bool = False) -> BpfType | None:
    """The type of a declaration (``u32``, ``u8[W * H]``, a struct name), or None after an
    error; Timer/SpinLock only inside a struct unless ``allow_opaque``."""
    t = eval_type(info, fold, node)
    if t is not None and not allow_opaque and any(kernel_owned(s) for s in iter_scalars(t)) \
            and not isinstance(t, StructType):
        info.src.error("E033", node)
        return None
    return t


def eval_type(info: ModuleInfo, fold: ConstFolder, node: ast.expr) -> BpfType | None:
    """The type ``node`` denotes, or None after reporting an error at it."""
    src, names = info.src, info.names
    if isinstance(node, ast.Subscript) and names.dsl(node.value) in ("Kptr", "RbRoot", "ListHead"):
        return _alloc_type(info, node)
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
    if dsl in ("RbNode", "ListNode"):
        return RBNODE if dsl == "RbNode" else LISTNODE
    if dsl == "Refcount":
        return REFCOUNT
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        src.error("E036", node)
        return None
    what = ast.unparse(node) if hasattr(ast, "unparse") else "this"
    if isinstance(node, ast.Name) and node.id in ("float", "str", "list", "dict", "set", "bytes", "tuple"):
        src.error("E037", node, name=node.id)
    else:
        src.error("E038", node, what=what)
    return None


def _alloc_type(info: ModuleInfo, node: ast.Subscript) -> BpfType | None:
    """``Kptr[T]``, ``RbRoot[T, "field"]``, ``ListHead[T, "field"]``: T a @struct declared
    above, ``field`` its ``RbNode`` / ``ListNode`` member."""
    what = info.names.dsl(node.value) or ""
    args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    want = 1 if what == "Kptr" else 2
    if len(args) != want or (want == 2 and not (isinstance(args[1], ast.Constant)
                                                and isinstance(args[1].value, str))):
        member = "RbNode" if what == "RbRoot" else "ListNode"
        usage = f"{what}[Node]" if want == 1 else \
            f'{what}[Node, "field"]: the objects\' struct and the name of their {member} field'
        info.src.error("E311", node, what=what, usage=usage)
        return None
    first = args[0]
    st = info.structs.get(first.id) if isinstance(first, ast.Name) else None
    if st is None:
        info.src.error("E310", first, what=what, got=ast.unparse(first))
        return None
    if what == "Kptr":
        if kernel_has_struct(st.name):
            info.src.error("E325", first, name=st.name)
            return None
        return KptrType(st)
    kind = "rb" if what == "RbRoot" else "list"
    field = str(args[1].value)                     # type: ignore[attr-defined]
    f = st.by_name.get(field)
    if f is None or f.type is not GRAPH_NODES[kind]:
        info.src.error("E312", args[1], struct=st.name, field=field, member=GRAPH_NODES[kind])
        return None
    return GraphRootType(kind, st, field)
