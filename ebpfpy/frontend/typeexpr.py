"""Evaluate type expressions (``u32``, ``bool``, ``u8[W * H]``, ``u16[2][3]``, struct names)."""
from __future__ import annotations

import ast
from ..types import BOOL, GRAPH_NODES, INT_TYPES, LISTNODE, RBNODE, REFCOUNT, SPINLOCK, TIMER, ArrayType, \
    BpfType, FlexType, GraphRootType, KptrType, OpaqueType, PerCpuKptrType, StructType, i64, \
    iter_scalars, kernel_owned
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
    if isinstance(node, ast.Subscript) and names.dsl(node.value) in ("Kptr", "PerCpuKptr", "RbRoot",
                                                                 "ListHead"):
        return _alloc_type(info, node)
    if names.dsl(node.value if isinstance(node, ast.Subscript) else node) == "Flex":
        src.error("E362", node, what="the type of a local, global, map, parameter or array")
        return None
    if isinstance(node, ast.Subscript):
        elem = eval_type(info, fold, node.value)
        if elem is None:
            return None
        if not fixed_size(info, node.value, elem, "an array's element",
                          "keep one record per local or ring-buffer reservation"):
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


def flex_field(info: ModuleInfo, fold: ConstFolder, node: ast.expr) -> FlexType | None:
    """``Flex[T, N]`` as a struct field: T an integer, bool, array or fixed-size struct,
    N a positive constant capacity (E360, E364), or None after an error."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple) \
            or len(node.slice.elts) != 2:
        got = "Flex[" + ast.unparse(node.slice) + "]" if isinstance(node, ast.Subscript) \
            else "no item type or capacity"
        info.src.error("E360", node, got=got)
        return None
    elem_node, cap_node = node.slice.elts
    elem = eval_type(info, fold, elem_node)
    if elem is None:
        return None
    if any(isinstance(s, OpaqueType) for s in iter_scalars(elem)):
        info.src.error("E364", elem_node, type=elem)
        return None
    if not fixed_size(info, elem_node, elem, "the item of a flexible array",
                      "give the inner struct a fixed-size array instead"):
        return None
    n = fold.fold(cap_node)
    if n is None:
        return None
    if n <= 0:
        info.src.error("E360", cap_node, got=f"a capacity of {n} (it must be positive)")
        return None
    if elem.size * n > MAX_ARRAY_BYTES:
        info.src.error("E035", node, size=elem.size * n)
        return None
    return FlexType(elem, n)


def fixed_size(info: ModuleInfo, node: ast.expr, t: BpfType, what: str, fix: str) -> bool:
    """False, after E363 at ``node``, when ``t`` is (or holds) a struct ending in a flexible
    array: a map's key or value, a global, a struct field or an array element needs the
    fixed size its BTF type states, and C's sizeof leaves the items out."""
    while isinstance(t, ArrayType):
        t = t.elem
    if isinstance(t, StructType) and t.flex is not None:
        info.src.error("E363", node, type=t.name, what=what, fix=fix)
        return False
    return True


def _alloc_type(info: ModuleInfo, node: ast.Subscript) -> BpfType | None:
    """``Kptr[T]``, ``RbRoot[T, "field"]``, ``ListHead[T, "field"]``: T a @struct declared
    above, ``field`` its ``RbNode`` / ``ListNode`` member."""
    what = info.names.dsl(node.value) or ""
    args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    want = 1 if what in ("Kptr", "PerCpuKptr") else 2
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
    if what in ("Kptr", "PerCpuKptr"):
        if kernel_has_struct(st.name):
            info.src.error("E325", first, name=st.name)
            return None
        return KptrType(st) if what == "Kptr" else PerCpuKptrType(st)
    kind = "rb" if what == "RbRoot" else "list"
    field = str(args[1].value)                     # type: ignore[attr-defined]
    f = st.by_name.get(field)
    if f is None or f.type is not GRAPH_NODES[kind]:
        info.src.error("E312", args[1], struct=st.name, field=field, member=GRAPH_NODES[kind])
        return None
    return GraphRootType(kind, st, field)
