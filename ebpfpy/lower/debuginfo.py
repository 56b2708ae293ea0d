"""DWARF metadata from which LLVM's BPF backend emits ``.BTF`` and ``.BTF.ext``.

BTF is derived from debug info alone, so everything the kernel and libbpf must see —
map definitions, struct layouts, function prototypes with named parameters, line info
holding the Python source — is described here.
"""
from __future__ import annotations

from typing import Any

import llvmlite.ir as ir
from llvmlite.ir import values as ir_values

from ..model.kernel_types import KernelStruct
from ..types import (ArrayType, BoolType, BpfType, FlexType, GraphRootType, IntType, KptrType, OpaqueType,
                     RefType, StructType, UnionType, u32, u64)

DW_ATE_boolean, DW_ATE_signed, DW_ATE_unsigned = 0x02, 0x05, 0x08


class DebugModule(ir.Module):
    """An ``ir.Module`` whose metadata interning keys a node's operands by identity.

    llvmlite interns ``add_debug_info``/``add_metadata`` nodes in a dict keyed by their
    operands, and a node's hash is its operands' hash, recursively and never cached: each
    lookup hashed every node below (a struct's members, their types...) again, a quarter
    of parse.py's lowering.  Every node comes from these two methods, so nodes with equal
    operands are one object and identity says the same as llvmlite's equality; the nodes
    made, their order and their numbering are llvmlite's (the golden IR tests compare).
    """

    def __init__(self, name: str, context: Any) -> None:
        super().__init__(name=name, context=context)
        self._interned: dict[Any, Any] = {}

    def add_metadata(self, operands: Any) -> Any:
        if not isinstance(operands, (list, tuple)):
            return super().add_metadata(operands)       # llvmlite's TypeError
        ops = self._fix_metadata_operands(operands)
        key = ("md", *[_ident(op) for op in ops])
        md = self._interned.get(key)
        if md is None:
            md = self._interned[key] = ir_values.MDValue(self, ops, name=str(len(self.metadata)))
        return md

    def add_debug_info(self, kind: str, operands: Any, is_distinct: bool = False) -> Any:
        ops = tuple(sorted(self._fix_di_operands(operands.items())))
        # llvmlite compares an ``encoding`` token by its text, any other DIToken by identity
        key = (kind, is_distinct, *[(n, op.value if n == "encoding" and isinstance(op, ir.DIToken)
                                     else _ident(op)) for n, op in ops])
        di = self._interned.get(key)
        if di is None:
            di = self._interned[key] = ir_values.DIValue(self, is_distinct, kind, ops,
                                                         name=str(len(self.metadata)))
        return di


def _ident(op: Any) -> Any:
    """An operand's key: interned nodes by identity (they live as long as the module), the
    values llvmlite compares by text by their text, anything else as itself."""
    if isinstance(op, (ir_values.DIValue, ir_values.MDValue)):
        return ("node", id(op))
    if isinstance(op, ir_values.MetaDataString):
        return ("mdstring", op.string)
    if isinstance(op, ir.Constant):
        return ("const", str(op))
    return op


class DebugInfo:
    """Builds the module's debug metadata; ``finalize()`` closes the reference cycles."""

    def __init__(self, module: ir.Module, filename: str, source: str) -> None:
        self.m = module
        self.file = module.add_debug_info("DIFile", {
            "filename": filename, "directory": "", "source": source})
        self._globals: list[Any] = []
        self.cu = module.add_debug_info("DICompileUnit", {
            "language": ir.DIToken("DW_LANG_C99"), "file": self.file,
            "producer": "ebpfpy", "isOptimized": True, "runtimeVersion": 0,
            "emissionKind": ir.DIToken("FullDebug"),
        }, is_distinct=True)
        self._types: dict[Any, Any] = {}
        self._locations: dict[tuple[int, int, int], Any] = {}
        self._pending: list[tuple[Any, list[Any]]] = []   # (subprogram, retained nodes)
        module.add_named_metadata("llvm.dbg.cu", self.cu)
        for flag in ([ir.Constant(ir.IntType(32), 7), "Dwarf Version", ir.Constant(ir.IntType(32), 5)],
                     [ir.Constant(ir.IntType(32), 2), "Debug Info Version", ir.Constant(ir.IntType(32), 3)]):
            module.add_named_metadata("llvm.module.flags", flag)

    # ------------------------------------------------------------------ types
    def basic(self, name: str, bits: int, encoding: int) -> Any:
        """A DIBasicType (an integer or bool of ``bits`` with the DWARF ``encoding``)."""
        return self.m.add_debug_info("DIBasicType", {
            "name": name, "size": bits, "encoding": ir.DIToken(
                {DW_ATE_boolean: "DW_ATE_boolean", DW_ATE_signed: "DW_ATE_signed",
                 DW_ATE_unsigned: "DW_ATE_unsigned"}[encoding])})

    def c_int(self) -> Any:
        """C's ``int``."""
        return self.basic("int", 32, DW_ATE_signed)

    def pointer(self, target: Any, type_tag: str = "") -> Any:
        """A pointer to the debug type ``target`` (None: ``void *``); ``type_tag`` becomes a
        BTF ``TYPE_TAG`` between the pointer and its target (``kptr`` marks a kptr field)."""
        ptr: dict[str, Any] = {"tag": ir.DIToken("DW_TAG_pointer_type"), "baseType": target,
                               "size": 64}
        if type_tag:
            ptr["annotations"] = self._annotation("btf_type_tag", type_tag)
        return self.m.add_debug_info("DIDerivedType", ptr)

    def _annotation(self, kind: str, text: str) -> Any:
        """``!{!{!"btf_decl_tag", !"text"}}``: how clang spells __attribute__((btf_*_tag))."""
        return self.m.add_metadata([self.m.add_metadata([kind, text])])

    def array(self, elem: Any, counts: list[int], elem_bits: int) -> Any:
        """An array of ``elem`` with one dimension per count."""
        total = elem_bits
        for c in counts:
            total *= c
        subs = [self.m.add_debug_info("DISubrange", {"count": c}) for c in counts]
        return self.m.add_debug_info("DICompositeType", {
            "tag": ir.DIToken("DW_TAG_array_type"), "baseType": elem, "size": total,
            "elements": self.m.add_metadata(subs)})

    def struct(self, name: str | None, members: list[tuple[str, Any, int, int]], bits: int,
               tags: dict[str, str] | None = None, union: bool = False) -> Any:
        """members: (name, debug type, bit size, bit offset); ``tags``: member name ->
        ``btf_decl_tag`` text (e.g. ``contains:Node:rb`` on a tree root)."""
        elems = []
        for mname, mtype, msize, moff in members:
            member: dict[str, Any] = {"tag": ir.DIToken("DW_TAG_member"), "name": mname,
                                      "file": self.file, "baseType": mtype, "size": msize,
                                      "offset": moff}
            if tags and mname in tags:
                member["annotations"] = self._annotation("btf_decl_tag", tags[mname])
            elems.append(self.m.add_debug_info("DIDerivedType", member))
        tag = "DW_TAG_union_type" if union else "DW_TAG_structure_type"
        ops: dict[str, Any] = {"tag": ir.DIToken(tag), "file": self.file,
                               "size": bits, "elements": self.m.add_metadata(elems)}
        if name:
            ops["name"] = name
        return self.m.add_debug_info("DICompositeType", ops)

    def type_of(self, t: BpfType) -> Any:
        """The debug type of a DSL type (cached, so BTF gets one entry per type)."""
        key = t if not isinstance(t, StructType) else ("struct", t.name)
        if key in self._types:
            return self._types[key]
        if isinstance(t, IntType):
            d = self.basic({8: "unsigned char", 16: "unsigned short", 32: "unsigned int",
                            64: "unsigned long long"}[t.bits] if not t.signed else
                           {8: "signed char", 16: "short", 32: "int", 64: "long long"}[t.bits],
                           t.bits, DW_ATE_signed if t.signed else DW_ATE_unsigned)
            d = self.m.add_debug_info("DIDerivedType", {
                "tag": ir.DIToken("DW_TAG_typedef"), "name": "__" + t.name, "baseType": d,
                "file": self.file})
        elif isinstance(t, BoolType):
            d = self.basic("_Bool", 8, DW_ATE_boolean)
        elif isinstance(t, FlexType):
            # clang's `T items[]`: a subrange of count -1, which BTF writes as nr_elems=0
            d = self.array(self.type_of(t.elem), [-1], 0)
        elif isinstance(t, ArrayType):
            d = self.array(self.type_of(t.scalar), list(t.shape), t.scalar.size * 8)
        elif isinstance(t, KptrType):
            d = self.pointer(self.type_of(t.target), "percpu_kptr" if t.percpu else "kptr")
        elif isinstance(t, OpaqueType):
            # bpf_timer / bpf_spin_lock: the kernel finds them in map values by name and size.
            d = self.struct(t.c_name, [(f"__opaque{i}", self.type_of_int(64 if t.size > 4 else 32),
                                        64 if t.size > 4 else 32, i * (64 if t.size > 4 else 32))
                                       for i in range(t.size // (8 if t.size > 4 else 4))],
                            t.size * 8)
        elif isinstance(t, StructType):
            # a tree or list root names the objects it holds: btf_decl_tag("contains:T:field")
            tags = {f.name: f"contains:{f.type.target.name}:{f.type.node}" for f in t.fields
                    if isinstance(f.type, GraphRootType)}
            d = self.struct(t.name, [(f.name, self.type_of(f.type),
                                      0 if f is t.flex else f.type.size * 8, f.offset * 8)
                                     for f in t.fields], t.c_size * 8, tags,
                            union=isinstance(t, UnionType))
        elif isinstance(t, RefType):
            d = self.pointer(self.type_of(t.target))
        elif isinstance(t, KernelStruct):
            # a kernel struct parameter: its fields are described by lower/core.py
            d = self.m.add_debug_info("DICompositeType", {
                "tag": ir.DIToken("DW_TAG_union_type" if t.union else "DW_TAG_structure_type"),
                "name": t.name, "file": self.file, "flags": ir.DIToken("DIFlagFwdDecl")})
        else:
            raise TypeError(f"no debug type for {t!r}")
        self._types[key] = d
        return d

    def cached(self, key: Any, make: Any) -> Any:
        """The debug type stored under ``key``, made by ``make()`` the first time."""
        if key not in self._types:
            self._types[key] = make()
        return self._types[key]

    def type_of_int(self, bits: int) -> Any:
        """The unsigned integer debug type of ``bits`` (64, else 32)."""
        return self.type_of(u64 if bits == 64 else u32)

    def named_ctx(self, c_name: str) -> Any:
        """``struct <c_name> *``: a forward-declared kernel context type for program arguments."""
        fwd = self.m.add_debug_info("DICompositeType", {
            "tag": ir.DIToken("DW_TAG_structure_type"), "name": c_name, "file": self.file,
            "flags": ir.DIToken("DIFlagFwdDecl")})
        return self.pointer(fwd)

    # ------------------------------------------------------------------ entities
    def subprogram(self, name: str, line: int, ret: Any, params: list[tuple[str, Any]],
                   local: bool) -> Any:
        """A function with named parameters (BTF FUNC_PROTO needs the names)."""
        sty = self.m.add_debug_info("DISubroutineType", {
            "types": self.m.add_metadata([ret] + [p[1] for p in params])})
        sp = self.m.add_debug_info("DISubprogram", {
            "name": name, "linkageName": name, "scope": self.file, "file": self.file,
            "line": line, "type": sty, "scopeLine": line, "unit": self.cu,
            "isLocal": local, "isDefinition": True, "isOptimized": True,
            "spFlags": ir.DIToken("DISPFlagDefinition | DISPFlagOptimized" +
                                  (" | DISPFlagLocalToUnit" if local else "")),
            "flags": ir.DIToken("DIFlagPrototyped | DIFlagAllCallsDescribed"),
        }, is_distinct=True)
        self._pending.append((sp, [(i + 1, pname, ptype) for i, (pname, ptype) in enumerate(params)]))
        return sp

    def declaration(self, name: str, ret: Any, params: list[tuple[str, Any]]) -> Any:
        """An extern function's prototype (a kfunc): LLVM turns a called declaration with
        this into a BTF FUNC of extern linkage, which libbpf resolves by name.  ``ret``
        None is void."""
        sty = self.m.add_debug_info("DISubroutineType", {
            "types": self.m.add_metadata([ret] + [p[1] for p in params])})
        return self.m.add_debug_info("DISubprogram", {
            "name": name, "scope": self.file, "file": self.file, "type": sty,
            "flags": ir.DIToken("DIFlagPrototyped"), "spFlags": ir.DIToken("DISPFlagOptimized")})

    def location(self, line: int, col: int, scope: Any) -> Any:
        """A DILocation (1-based column) in ``scope``."""
        # Interned here by identity, not by add_debug_info: llvmlite interns metadata by
        # hashing its operands recursively (scope -> file, unit, types ...), which cost more
        # than the rest of lowering a statement.  Same node as add_debug_info would make.
        key = (line, col, id(scope))
        loc = self._locations.get(key)
        if loc is None:
            ops = (("column", col), ("line", line), ("scope", scope))     # sorted, as llvmlite does
            loc = self._locations[key] = ir.values.DIValue(
                self.m, False, "DILocation", ops, name=str(len(self.m.metadata)))
        return loc

    def global_var(self, gv: ir.GlobalVariable, name: str, dtype: Any, line: int,
                   definition: bool = True) -> None:
        """Describe ``gv`` for BTF (maps and globals need it for libbpf); ``definition``
        False for an extern (a ``Kconfig`` global)."""
        var = self.m.add_debug_info("DIGlobalVariable", {
            "name": name, "scope": self.cu, "file": self.file, "line": line, "type": dtype,
            "isLocal": False, "isDefinition": definition}, is_distinct=True)
        expr = self.m.add_debug_info("DIExpression", {})
        gve = self.m.add_debug_info("DIGlobalVariableExpression", {"var": var, "expr": expr})
        gv.set_metadata("dbg", gve)
        self._globals.append(gve)

    def finalize(self) -> None:
        """Close the cycles (CU→globals, subprogram→retainedNodes→subprogram) last.

        llvmlite hashes metadata operands recursively when interning nodes, so a cycle
        created earlier would make later interning recurse forever.
        """
        for sp, params in self._pending:
            nodes = [self.m.add_debug_info("DILocalVariable", {
                "name": pname, "arg": idx, "scope": sp, "file": self.file, "type": ptype})
                for idx, pname, ptype in params]
            ops = dict(sp.operands)
            ops["retainedNodes"] = self.m.add_metadata(nodes)
            sp.operands = tuple(sorted(ops.items()))
        if self._globals:
            ops = dict(self.cu.operands)
            ops["globals"] = self.m.add_metadata(self._globals)
            self.cu.operands = tuple(sorted(ops.items()))
