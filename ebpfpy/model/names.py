"""Which local names refer to ebpfpy's public objects (``from ebpfpy import u32 as U``,
``import ebpfpy as bpf``), so the compiler recognises them without importing anything."""
from __future__ import annotations

import ast

from ..map_kinds import MapKind

# Every public name a BPF module may use from the package, plus Python builtins the DSL knows.
PUBLIC = {
    "bpf_program", "bpf_function", "struct", "union", *(k.dsl_name for k in MapKind),
    "Const", "Kconfig", "kernel_struct", "kernel_enum", "Timer", "SpinLock", "XdpContext", "SkbContext",
    "Flex", "Kptr", "PerCpuKptr", "RbRoot", "RbNode", "ListHead", "ListNode", "Refcount", "Arena",
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "helpers",
    "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
    "TC_ACT_OK", "TC_ACT_SHOT", "TC_ACT_UNSPEC", "TC_ACT_REDIRECT",
    "RB_NO_WAKEUP", "RB_FORCE_WAKEUP",
    "BPF_F_USER_STACK", "BPF_F_FAST_STACK_CMP", "BPF_F_REUSE_STACKID", "BPF_F_CURRENT_CPU",
    "BPF_F_RECOMPUTE_CSUM", "BPF_F_INVALIDATE_HASH", "BPF_F_PSEUDO_HDR", "BPF_F_MARK_MANGLED_0",
    "BPF_ADJ_ROOM_NET", "BPF_ADJ_ROOM_MAC",
}
BUILTINS = {"int", "bool", "range", "len", "min", "max", "abs", "None", "True", "False"}


class DslNames:
    """Resolves a Name/Attribute to a dotted DSL path such as ``"u32"`` or ``"helpers.loop"``."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}     # local name -> dsl path
        self.modules: set[str] = set()        # local names bound to the ebpfpy package
        self.shadowed: set[str] = set()       # module-level names that hide a DSL default

    def learn_import(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            if stmt.module == "ebpfpy":
                for a in stmt.names:
                    if a.name in PUBLIC or a.name == "kernel":
                        self.aliases[a.asname or a.name] = a.name
            elif stmt.module == "ebpfpy.helpers":
                for a in stmt.names:
                    self.aliases[a.asname or a.name] = "helpers." + a.name
            elif stmt.module == "ebpfpy.kernel":        # kernel types, resolved from BTF on use
                for a in stmt.names:
                    self.aliases[a.asname or a.name] = "kernel." + a.name
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.name == "ebpfpy":
                    self.modules.add(a.asname or "ebpfpy")
                elif a.name in ("ebpfpy.helpers", "ebpfpy.kernel"):
                    if a.asname:
                        self.aliases[a.asname] = a.name[7:]
                    else:
                        self.modules.add("ebpfpy")

    def dsl(self, node: ast.AST | None) -> str | None:
        """The DSL path ``node`` names, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in PUBLIC and node.id not in self.shadowed:
                return node.id      # tolerated without an import, as the DSL's own namespace
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in self.modules:
                if node.attr in ("helpers", "kernel"):
                    return node.attr
                return node.attr if node.attr in PUBLIC else "?" + node.attr
            base = self.dsl(node.value)
            if base in ("helpers", "kernel"):
                return base + "." + node.attr
        return None
