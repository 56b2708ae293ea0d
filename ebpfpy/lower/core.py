"""CO-RE: reads of kernel struct fields that libbpf relocates to the target kernel's layout.

A field access ``task.real_parent`` becomes, as clang emits for a ``preserve_access_index``
struct::

    %f = call ptr @llvm.preserve.struct.access.index.p0.p0(
             ptr elementtype(%struct.task_struct) %task, i32 GEP_INDEX, i32 DI_INDEX),
             !llvm.preserve.access.index !DI_task_struct

LLVM's BPF backend (BPFAbstractMemberAccess, run at the start of the optimisation pipeline)
turns each chain of such calls into a relocatable offset and a ``.BTF.ext`` field relocation
("0:95" of ``struct task_struct``); libbpf rewrites the offset at load time by matching the
field names against the running kernel's BTF.

Only what a program names reaches the object: each kernel struct is described (LLVM body and
debug type) with just the members the module reads, at the kernel's offsets, so the default
offsets are right for the kernel that compiled the program.  Member debug types follow the
BTF kinds (int, enum, pointer, array, struct) because libbpf checks that a local field and
the kernel's field are of compatible kinds.  Pointers point to forward declarations, so the
debug types have no cycles.
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..model.typed import known
from ..model import kernel_types as KT
from ..model.kernel_types import FlavourStruct, KernelStruct
from ..types import BOOL, ArrayType, IntType, RefType, u64
from .context import LowerContext
from .ints import convert
from .ltypes import I8, I32, I64, PTR
from .memory import as_i64, size_of
from .module_state import ModuleState

BPF_FUNC_probe_read_kernel = 113


class _ElementType(ir.values.ArgumentAttributes):
    """``elementtype(%struct.X)`` on an opaque pointer argument (llvmlite needs a pointee)."""

    def __init__(self, lt: ir.Type) -> None:
        super().__init__()
        self.lt = lt

    def _to_list(self, typ: ir.Type) -> list[str]:
        return [f"elementtype({self.lt})"]


# LLVM's BPFAbstractMemberAccess keeps the relocation globals it makes in a *static* map keyed
# by "llvm.<root type name>:<kind>:<offset>$<access>", so a second module in the same process
# that makes the same key gets the first module's (freed) global and LLVM aborts.  Every
# module after the first therefore names its kernel types with a libbpf "flavor" suffix
# (task_struct___2): libbpf ignores what follows "___" when it matches types.
_modules_with_core = [0]


class CoreTypes:
    """Per-module LLVM and debug descriptions of the kernel structs a module reads."""

    def __init__(self, ml: ModuleState) -> None:
        self.ml = ml
        n = _modules_with_core[0]
        _modules_with_core[0] += 1
        self.flavor = f"___{n}" if n else ""
        self.used: dict[str, tuple[KernelStruct, set[int]]] = {}   # key -> (struct, member idx)
        for fi in ml.checked.funcs.values():
            for kind, what in fi.attrs.values():
                if kind == "kfield":
                    for ks, idx in what.path:
                        self.used.setdefault(ks.key, (ks, set()))[1].add(idx)
        self._llvm: dict[str, tuple[ir.Type, dict[int, int]]] = {}   # key -> (type, idx -> gep)
        self._di: dict[str, tuple[Any, dict[int, int]]] = {}         # key -> (DI, idx -> DI idx)
        self._fwd: dict[str, Any] = {}

    def members(self, ks: KernelStruct) -> list[int]:
        """The indices of the members of ``ks`` the module reads, in the order of their
        offsets: the kernel refuses BTF whose members go backwards ("Invalid member
        bits_offset"), and a flavour may declare a field this kernel lacks (laid out after
        the struct's end) before one it has."""
        _ = ks.fields                               # computing the fields fills ks.members
        return sorted(self.used.get(ks.key, (ks, set()))[1], key=lambda i: (ks.members[i][1], i))

    # ----------------------------------------------------------- LLVM types
    def llvm(self, ks: KernelStruct) -> tuple[ir.Type, dict[int, int]]:
        """The LLVM type of ``ks`` and the GEP index of each member it keeps."""
        if ks.key in self._llvm:
            return self._llvm[ks.key]
        if ks.union:
            out: tuple[ir.Type, dict[int, int]] = (ir.ArrayType(I8, ks.size), {})
            self._llvm[ks.key] = out
            return out
        name = "struct." + ks.key.replace("#", "")
        st = self.ml.module.context.get_identified_type(name, packed=True)
        elems: list[ir.Type] = []
        gep: dict[int, int] = {}
        off = 0
        for idx in self.members(ks):
            mname, bit_off, _bits, _t = ks.members[idx]
            byte_off = bit_off // 8
            if byte_off > off:
                elems.append(ir.ArrayType(I8, byte_off - off))
            gep[idx] = len(elems)
            lt, size = self._member_llvm(ks, idx)
            elems.append(lt)
            off = byte_off + size
        if ks.size > off:
            elems.append(ir.ArrayType(I8, ks.size - off))
        st.set_body(*elems)
        self._llvm[ks.key] = (st, gep)
        return st, gep

    def _member_llvm(self, ks: KernelStruct, idx: int) -> tuple[ir.Type, int]:
        t = ks.members[idx][3]
        if isinstance(t, KT.KernelFlex):
            return ir.ArrayType(I8, 0), 0             # T items[]: no bytes of the struct's own
        if isinstance(t, KernelStruct):
            return self.llvm(t)[0], t.size
        t = known(t)
        return self.ml.types.mem(t), t.size          # ints, bool, arrays, refs (ptr)

    # ----------------------------------------------------------- debug types
    def di(self, ks: KernelStruct) -> tuple[Any, dict[int, int]]:
        """The debug type of ``ks`` and the debug index of each member it keeps."""
        if ks.key in self._di:
            return self._di[ks.key]
        d = self.ml.di
        kb = ks.kbtf
        t, _, _, _, _ = kb.raw(ks.tid)
        btf_members = kb.r.members(t)
        elems: list[tuple[str, Any, int, int]] = []
        index: dict[int, int] = {}
        flavour = isinstance(ks, FlavourStruct)
        for idx in self.members(ks):
            mname, bit_off, _bits, mt = ks.members[idx]
            if isinstance(mt, KernelStruct):
                mdi = self.di(mt)[0]
            elif flavour:
                mdi = self._di_flavour_member(ks, idx, mt)
            else:
                mdi = self._di_btf(kb, btf_members[idx].type)
            size = mt.size if mt is not None else 8
            elems.append((mname, mdi, size * 8, bit_off))
            index[idx] = len(elems) - 1
        name = ks.name
        if name and self.flavor:
            # libbpf strips what follows the *last* "___": a user's flavour keeps its own
            # suffix and gets the module number without another separator
            name += self.flavor.replace("___", "_") if flavour else self.flavor
        node = d.struct(name or None, elems, ks.size * 8)
        if ks.union:
            ops = dict(node.operands)
            ops["tag"] = ir.DIToken("DW_TAG_union_type")
            node = d.m.add_debug_info("DICompositeType", ops)
        self._di[ks.key] = (node, index)
        return node, index

    def enum_di(self, en: Any) -> Any:
        """The debug type of a @kernel_enum: its enumerators at this kernel's values (the
        declared ones where it lacks them); named with the module's flavour suffix."""
        key = "enum " + en.name
        if key in self._di:
            return self._di[key][0]
        d = self.ml.di
        elems = [d.m.add_debug_info("DIEnumerator", {"name": n, "value": en.value(n),
                                                      "isUnsigned": en.value(n) >= 0})
                 for n in en.declared]
        name = en.name + (self.flavor.replace("___", "_") if "___" in en.name else self.flavor)
        node = d.m.add_debug_info("DICompositeType", {
            "tag": ir.DIToken("DW_TAG_enumeration_type"), "name": name, "file": d.file,
            "size": en.size * 8, "elements": d.m.add_metadata(elems)})
        self._di[key] = (node, {})
        return node

    def _di_flavour_member(self, fl: Any, idx: int, t: Any) -> Any:
        """A flavour member's debug type: the kernel's where this kernel has the field,
        else from the declared DSL type (integers, arrays, references)."""
        if idx in fl.member_btf:
            return self._di_btf(fl.kbtf, fl.member_btf[idx])
        if isinstance(t, RefType) and isinstance(t.target, KernelStruct):
            return self.ml.di.pointer(self._fwd_decl(t.target.name, t.target.union))
        return self.ml.di.type_of(t)

    def _di_btf(self, kb: Any, tid: int) -> Any:
        """The debug type mirroring BTF type ``tid`` (typedefs and qualifiers dropped)."""
        d = self.ml.di
        tid = kb.resolve(tid)
        t, kind, _, kflag, name = kb.raw(tid)
        if kind == KT.K_INT:
            enc = kb.r.int_encoding(t)
            code = 0x02 if enc & 4 else (0x05 if enc & 1 else 0x08)
            return d.basic(name or "int", t.size_or_type * 8, code)
        if kind in (KT.K_ENUM, KT.K_ENUM64):
            ops: dict[str, Any] = {"tag": ir.DIToken("DW_TAG_enumeration_type"),
                                   "size": t.size_or_type * 8, "file": d.file,
                                   "elements": d.m.add_metadata([])}
            if name:
                ops["name"] = name
            return d.m.add_debug_info("DICompositeType", ops)
        if kind == KT.K_PTR:
            target = kb.resolve(t.size_or_type)
            if target:
                _, tk, _, _, tname = kb.raw(target)
                if tk in (KT.K_STRUCT, KT.K_UNION, KT.K_FWD) and tname:
                    return d.pointer(self._fwd_decl(tname, tk == KT.K_UNION))
            return d.m.add_debug_info("DIDerivedType", {
                "tag": ir.DIToken("DW_TAG_pointer_type"), "baseType": None, "size": 64})
        if kind in (KT.K_STRUCT, KT.K_UNION):       # a flexible array's struct items
            return self.di(kb._struct_of(tid, name or f"#{tid}"))[0]
        if kind == KT.K_ARRAY:
            arr = kb.r.array(t)
            elem = self._di_btf(kb, arr.type)
            et = kb.resolve(arr.type)
            return d.array(elem, [arr.nelems], kb.raw(et)[0].size_or_type * 8)
        raise TypeError(f"no debug type for BTF kind {kind}")

    def _fwd_decl(self, name: str, union: bool) -> Any:
        if name not in self._fwd:
            d = self.ml.di
            self._fwd[name] = d.m.add_debug_info("DICompositeType", {
                "tag": ir.DIToken("DW_TAG_union_type" if union else "DW_TAG_structure_type"),
                "name": name, "file": d.file, "flags": ir.DIToken("DIFlagFwdDecl")})
        return self._fwd[name]


def core_types(ml: ModuleState) -> CoreTypes:
    """The module's kernel struct descriptions, made on first use."""
    ct = ml.core
    if ct is None:
        ct = ml.core = CoreTypes(ml)
    return ct


def _intrinsic(module: ir.Module, name: str, nargs: int) -> ir.Function:
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(PTR, [PTR] + [I32] * nargs), name)
    return fn


def member_address(cx: LowerContext, base: ir.Value, ks: KernelStruct, idx: int) -> ir.Value:
    """The CO-RE relocatable address of member ``idx`` of the ``ks`` at ``base``."""
    ct = core_types(cx.ml)
    di, di_index = ct.di(ks)
    if ks.union:
        fn = _intrinsic(cx.ml.module, "llvm.preserve.union.access.index.p0.p0", 1)
        call = cx.b.call(fn, [base, ir.Constant(I32, di_index[idx])], name=ks.members[idx][0])
    else:
        lt, gep = ct.llvm(ks)
        fn = _intrinsic(cx.ml.module, "llvm.preserve.struct.access.index.p0.p0", 2)
        call = cx.b.call(fn, [base, ir.Constant(I32, gep[idx]), ir.Constant(I32, di_index[idx])],
                         name=ks.members[idx][0] or "anon")
        call.arg_attributes[0] = _ElementType(lt)
    call.set_metadata("llvm.preserve.access.index", di)
    return call


def field_place(cx: LowerContext, node: ast.Attribute, f: Any) -> ir.Value:
    """The address to read ``node`` (a kernel struct field) from: the field itself for BTF
    pointers, or a stack copy made with probe_read_kernel for plain addresses."""
    ptr = cx.expr(node.value)                 # a reference, or an embedded struct's address
    for ks, idx in f.path:
        ptr = member_address(cx, ptr, ks, idx)
    t = f.type
    if isinstance(t, KernelStruct):
        return ptr
    if KT.base_space(cx.fi, node.value) != "probe":
        if not isinstance(t, ArrayType):
            return ptr
        # an array read is a copy (LANGUAGE.md: values are copied); helpers such as
        # map_update_elem refuse a kernel pointer where they could write, so copy to the stack
        tmp = cx.site_slot(node, t)
        cx.b.store(cx.b.load(ptr, typ=cx.types.mem(t)), tmp)
        return tmp
    tmp = cx.site_slot(node, t)
    fnty = ir.FunctionType(I64, [PTR, I32, PTR])
    fp = cx.b.inttoptr(ir.Constant(I64, BPF_FUNC_probe_read_kernel), fnty.as_pointer())
    cx.b.call(fp, [tmp, ir.Constant(I32, t.size), ptr])
    return tmp


def flex_element(cx: LowerContext, node: ast.Subscript) -> ir.Value:
    """``cg.ancestors[i]``: element ``i`` of a kernel flexible array, copied with
    bpf_probe_read_kernel from the CO-RE relocated start of the array plus ``i`` items (a
    BTF pointer's array cannot be indexed at a runtime offset; a failed read leaves 0)."""
    flex = cx.fi.attrs[node][1]
    start = field_address(cx, node.value)          # type: ignore[arg-type]
    i = convert(cx.b, cx.expr(node.slice), cx.fi.types[node.slice], u64)
    off = cx.b.mul(i, ir.Constant(I64, flex.elem_size), name="flexoff")
    src = cx.b.gep(start, [off], source_etype=I8, name="flexelem")
    if flex.by_address:                  # a struct item: its fields are read from there
        return src
    tmp = cx.site_slot(node, u64)
    cx.b.store(ir.Constant(I64, 0), tmp)
    fnty = ir.FunctionType(I64, [PTR, I32, PTR])
    fp = cx.b.inttoptr(ir.Constant(I64, BPF_FUNC_probe_read_kernel), fnty.as_pointer())
    cx.b.call(fp, [tmp, ir.Constant(I32, flex.elem_size), src])
    if isinstance(flex.elem, RefType):
        return cx.b.inttoptr(cx.b.load(tmp, typ=I64), PTR, name="flexref")
    raw = cx.b.load(tmp, typ=I64)
    bits = 8 * flex.elem_size
    v = cx.b.trunc(raw, ir.IntType(bits)) if bits < 64 else raw
    return convert(cx.b, v, IntType(f"u{bits}", bits, False), BOOL) if flex.elem is BOOL else v


def kernel_ptr(cx: LowerContext, node: ast.Call) -> ir.Value:
    """``task_struct(addr)``: the address as a pointer (read later with probe_read_kernel)."""
    v = convert(cx.b, cx.expr(node.args[0]), cx.fi.types[node.args[0]], u64)
    return cx.b.inttoptr(v, PTR, name="kptr")


# helper shapes lowered here (calls.py dispatches them)
CORE_SHAPES = frozenset({"task_btf", "seq_printf", "seq_write", "core_field", "core_type",
                         "core_enum"})
# clang's __builtin_preserve_field_info / __builtin_preserve_type_info kinds
FIELD_INFO = {"field_exists": 2, "field_size": 1, "field_offset": 0}
TYPE_INFO = {"type_exists": 0, "type_size": 1}
# llvm.bpf.preserve.enum.value flags (BPFCoreSharedInfo: ENUM_VALUE_EXISTENCE, ENUM_VALUE)
ENUM_INFO = {"enum_value_exists": 0, "enum_value": 1}
_type_info_seq = [0]


def field_address(cx: LowerContext, node: ast.Attribute) -> ir.Value:
    """The relocatable address of a kernel field, without reading it."""
    ptr = cx.expr(node.value)
    for ks, idx in cx.fi.attrs[node][1].path:
        ptr = member_address(cx, ptr, ks, idx)
    return ptr


def _core_query(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    mod = cx.ml.module
    if h.shape == "core_field":
        fn = mod.globals.get("llvm.bpf.preserve.field.info.p0") or ir.Function(
            mod, ir.FunctionType(I32, [PTR, I64]), "llvm.bpf.preserve.field.info.p0")
        field = node.args[0]
        assert isinstance(field, ast.Attribute), "the checker accepts a field access only"
        r = cx.b.call(fn, [field_address(cx, field),
                           ir.Constant(I64, FIELD_INFO[call.name])], name=call.name)
    else:
        fn = mod.globals.get("llvm.bpf.preserve.type.info") or ir.Function(
            mod, ir.FunctionType(I32, [I32, I64]), "llvm.bpf.preserve.type.info")
        _type_info_seq[0] += 1          # a distinct first operand keeps calls from merging
        r = cx.b.call(fn, [ir.Constant(I32, _type_info_seq[0]),
                           ir.Constant(I64, TYPE_INFO[call.name])], name=call.name)
        r.set_metadata("llvm.preserve.access.index", core_types(cx.ml).di(call.extra)[0])
    if h.ret is BOOL:
        return cx.b.icmp_unsigned("!=", r, ir.Constant(I32, 0), name="exists")
    return r


def _enum_query(cx: LowerContext, call: Any, h: Any) -> ir.Value:
    """``llvm.bpf.preserve.enum.value(seq, "NAME:VALUE", flag)`` with the enum's debug type,
    as clang emits ``__builtin_preserve_enum_value``: LLVM finds the enumerator by the name
    before the colon and patches the value after it (or 1 for existence); libbpf relocates
    both against the loading kernel."""
    en, name = call.extra
    mod = cx.ml.module
    fn = mod.globals.get("llvm.bpf.preserve.enum.value") or ir.Function(
        mod, ir.FunctionType(I64, [I32, PTR, I64]), "llvm.bpf.preserve.enum.value")
    _type_info_seq[0] += 1
    text = cx.ml.cstring(f"{name}:{en.value(name)}")
    r = cx.b.call(fn, [ir.Constant(I32, _type_info_seq[0]), text,
                       ir.Constant(I64, ENUM_INFO[call.name])], name=call.name)
    r.set_metadata("llvm.preserve.access.index", core_types(cx.ml).enum_di(en))
    if h.ret is BOOL:
        return cx.b.icmp_unsigned("!=", r, ir.Constant(I64, 0), name="exists")
    return r


def lower_helper(cx: LowerContext, node: ast.Call, call: Any, h: Any) -> ir.Value:
    """Helpers that take or give kernel objects: get_current_task_btf, seq_printf,
    seq_write, and the CO-RE queries field_exists/field_size/type_exists/type_size."""
    if h.shape == "task_btf":
        return cx.helper(h.id, PTR, [])
    if h.shape in ("core_field", "core_type"):
        return _core_query(cx, node, call, h)
    if h.shape == "core_enum":
        return _enum_query(cx, call, h)
    seq = cx.expr(node.args[0])
    if h.shape == "seq_write":
        data = cx.expr(node.args[1])
        return cx.helper(h.id, I64, [seq, data, ir.Constant(I32, size_of(cx, node.args[1]))])
    fmt = cx.ml.cstring(call.extra)
    data, size = format_values(cx, node, node.args[2:])
    return cx.helper(h.id, I64, [seq, fmt, ir.Constant(I32, len(call.extra.encode()) + 1),
                                 data, ir.Constant(I32, size)])


def format_values(cx: LowerContext, node: ast.Call,
                  values: list[ast.expr]) -> tuple[ir.Value, int]:
    """The values of a format helper (bpf_seq_printf, bpf_trace_vprintk) as the u64 array
    the kernel reads them from: integers as values, arrays by address (%s), and its size."""
    if not values:
        return ir.Constant(PTR, None), 0
    buf = cx.site_slot(node, ArrayType(IntType("u64", 64, False), len(values)))
    for i, a in enumerate(values):
        v = format_value(cx, a)
        p = cx.b.gep(buf, [ir.Constant(I64, 0), ir.Constant(I64, i)],
                     source_etype=ir.ArrayType(I64, len(values)), inbounds=True)
        p.type = PTR
        cx.b.store(v, p)
    return buf, 8 * len(values)


def format_value(cx: LowerContext, a: ast.expr) -> ir.Value:
    """One value of a format helper as a u64: an integer, or the address of an array (%s)."""
    t = cx.fi.types[a]
    if t is BOOL:
        return cx.b.zext(cx.expr(a), I64)
    if isinstance(t, IntType):
        return as_i64(cx, a)
    return cx.b.ptrtoint(cx.expr(a), I64)       # %s: the address of a string
