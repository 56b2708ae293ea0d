"""The running kernel's own types, read on demand from its BTF (``/sys/kernel/btf/vmlinux``).

``from ebpfpy.kernel import task_struct`` names a kernel struct; the compiler asks BTF for it
only when a program uses it, through the BTF reader the loader shares
(:mod:`ebpfpy.btf_reader`, libbpf's parser), so no generated module of kernel types exists
and compiling stays fast.  A :class:`KernelStruct` lists its members lazily; each
member becomes a DSL type:

* integers, enums and ``bool`` as themselves; ``char comm[16]`` as ``u8[16]``;
* a pointer to a struct or union as ``RefType(KernelStruct, space=...)`` (a BTF pointer the
  verifier lets a program dereference directly), any other pointer as ``u64``;
* embedded structs and unions as :class:`KernelStruct` values; members of anonymous
  structs/unions are reachable by name, as in C.

Bit fields and arrays of structs are not readable (a compile error says so); a flexible array
(``T items[]``) of integers, struct pointers or structs is read one element at a time
(:class:`KernelFlex`).
Field accesses compile to CO-RE relocations (``ebpfpy/lower/core.py``), so the layout seen
here is only the default that libbpf re-checks against the target kernel at load time.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..btf_reader import (INT_BOOL, INT_SIGNED, K_ARRAY, K_ENUM, K_ENUM64, K_FUNC,
                          K_FUNC_PROTO, K_FWD, K_INT, K_PTR, K_STRUCT, K_TYPEDEF, K_UNION,
                          BtfReader, vmlinux_btf)
from ..types import BOOL, INT_TYPES, ArrayType, BpfType, IntType, RefType, u8, u64


class DataLoc(BpfType):
    """A tracepoint record's ``__data_loc`` (or ``__rel_loc``) field: a u32 whose low 16 bits
    are the offset of variable-length data (a string) and whose high 16 bits its length; the
    offset counts from the record's start (``__rel_loc``: from the end of the field).
    ``ctx.NAME`` reads it as the kernel address of the data (``ctx.__data_loc_NAME`` is the
    raw u32)."""

    size = align = 4

    def __init__(self, relative: bool = False) -> None:
        self.relative = relative

    def __repr__(self) -> str:
        return "__rel_loc" if self.relative else "__data_loc"


class KernelFlex(BpfType):
    """A kernel struct's flexible array member (``struct cgroup *ancestors[]``): read one
    element at a time, ``cg.ancestors[i]``, with ``i`` bounded by the program; ``elem`` is an
    integer or a reference to a kernel struct (read with bpf_probe_read_kernel, since the
    verifier does not let a program index a BTF pointer's array at a runtime offset)."""

    size = 0
    align = 1

    def __init__(self, elem: BpfType, elem_size: int, by_address: bool = False) -> None:
        # by_address: items are structs (``struct upid numbers[]``); ``pid.numbers[i]`` is a
        # reference to the item, whose fields are then read with bpf_probe_read_kernel
        self.elem, self.elem_size, self.by_address = elem, elem_size, by_address

    def __repr__(self) -> str:
        return f"{self.elem!r}[]"


@dataclass(frozen=True)
class KField:
    """A readable member: ``path`` is the chain of (struct, member index) from the struct the
    name was looked up in (longer than one step through anonymous members)."""

    name: str
    type: BpfType
    offset: int                               # bytes from the start of the outer struct
    path: tuple[tuple["KernelStruct", int], ...]


class KernelStruct(BpfType):
    """A kernel ``struct NAME`` or ``union NAME`` known from BTF (never stored by value)."""

    def __init__(self, kbtf: "KernelBtf", tid: int, name: str, size: int, union: bool,
                 key: str) -> None:
        self.kbtf, self.tid, self.name, self.size, self.union = kbtf, tid, name, size, union
        self.key = key                        # unique: the name, or parent.#index for anonymous ones
        self.align = 8
        self._fields: dict[str, KField] | None = None
        self.unreadable: dict[str, str] = {}  # member name -> why it cannot be read
        self.members: list[tuple[str, int, int, BpfType | None]] = []   # (name, bit off, bits, type)

    def __repr__(self) -> str:
        return ("union " if self.union else "struct ") + (self.name or self.key)

    def __reduce__(self) -> Any:
        return (kernel_struct, (self.name,))

    @property
    def fields(self) -> dict[str, KField]:
        if self._fields is None:
            self._fields = self.kbtf.members_of(self)
        return self._fields


class FlavourStruct(KernelStruct):
    """``@kernel_struct class task_struct___pre514``: libbpf's struct flavour, a local
    description of a kernel struct as another kernel has it.

    libbpf matches types by the name before the last ``___``, and fields by name, so the
    declared fields relocate to wherever the target kernel has them.  A declared field this
    kernel has sits at this kernel's offset (and must have its type); one it lacks
    (``missing``) is laid out after the struct's end: reading it needs a
    ``helpers.field_exists`` guard, since libbpf poisons the read on a kernel without it and
    only a branch the verifier knows to be dead may contain it."""

    def __init__(self, base: KernelStruct, name: str,
                 decl: tuple[tuple[str, BpfType], ...]) -> None:
        super().__init__(base.kbtf, base.tid, name, base.size, base.union, name)
        self.base, self.decl = base, decl
        self.missing: set[str] = set()
        self.member_btf: dict[int, int] = {}           # member index -> the kernel's BTF type
        self.kernel_type: dict[str, BpfType] = {}      # declared name -> the kernel's type
        fields: dict[str, KField] = {}
        end = base.size
        for i, (n, t) in enumerate(decl):
            kf = base.fields.get(n)
            if kf is not None:
                off = kf.offset
                self.kernel_type[n] = kf.type
                last, idx = kf.path[-1]
                raw = last.kbtf.raw(last.tid)[0]
                self.member_btf[i] = last.kbtf.r.members(raw)[idx].type
            else:
                align = max(getattr(t, "align", 1), 1)
                off = -(-end // align) * align
                end = off + t.size
                self.missing.add(n)
            self.members.append((n, off * 8, 0, t))
            fields[n] = KField(n, t, off, ((self, i),))
        self.size = -(-end // 8) * 8 if self.missing else base.size
        self._fields = fields

    def __reduce__(self) -> Any:
        return (flavour_struct, (self.base.name, self.name, self.decl))


_flavours: dict[tuple[str, tuple[tuple[str, BpfType], ...]], FlavourStruct] = {}


def flavour_struct(base: str, name: str,
                   decl: tuple[tuple[str, BpfType], ...]) -> FlavourStruct | None:
    """The flavour ``name`` of kernel struct ``base`` with the declared fields (one object
    per declaration, so types compare by identity)."""
    key = (name, decl)
    if key not in _flavours:
        ks = kernel_struct(base)
        if ks is None:
            return None
        _flavours[key] = FlavourStruct(ks, name, decl)
    return _flavours[key]


class KernelEnum(BpfType):
    """``@kernel_enum class pid_type``: the enumerators a program asks about with
    ``helpers.enum_value(E.X)`` / ``enum_value_exists(E.X)``, which libbpf relocates by name
    (the enum's before its last ``___``, each enumerator's) against the loading kernel.
    ``kernel`` holds this kernel's values (None when it has no such enum); ``declared`` the
    class's own (used where this kernel lacks the enumerator)."""

    size = align = 4

    def __init__(self, name: str, declared: tuple[tuple[str, int], ...]) -> None:
        self.name, self.declared = name, dict(declared)
        self._decl = declared
        kb = vmlinux()
        self.kernel: dict[str, int] | None = None
        base = name.rsplit("___", 1)[0] if "___" in name else name
        if kb is not None:
            tid = kb.find(base, K_ENUM) or kb.find(base, K_ENUM64)
            if tid:
                t, kind, vlen, _kflag, _n = kb.raw(tid)
                self.size = self.align = t.size_or_type
                self.kernel = {_essential(n): v for n, v in kb.r.enumerators(t, kind, vlen)}

    def has(self, name: str) -> bool:
        """Whether this kernel's enum has the enumerator (by its essential name)."""
        return self.kernel is not None and _essential(name) in self.kernel

    def value(self, name: str) -> int:
        """This kernel's value of the enumerator, else the declared one."""
        if self.kernel is not None and _essential(name) in self.kernel:
            return self.kernel[_essential(name)]
        return self.declared[name]

    def __repr__(self) -> str:
        return f"enum {self.name}"

    def __reduce__(self) -> Any:
        return (KernelEnum, (self.name, self._decl))


def _essential(name: str) -> str:
    """libbpf's essential name: what precedes the last "___" (a flavour suffix)."""
    return name.rsplit("___", 1)[0] if "___" in name else name


class KernelBtf:
    """The kernel's types as DSL types, read through a shared :class:`BtfReader`."""

    def __init__(self, reader: BtfReader) -> None:
        self.r = reader
        self.raw, self.resolve, self.find = reader.raw, reader.resolve, reader.find
        self._structs: dict[str, KernelStruct] = {}

    # ----------------------------------------------------------- structs
    def struct(self, name: str) -> KernelStruct | None:
        """``struct name`` (or ``union name``) of the kernel, or None."""
        if name in self._structs:
            return self._structs[name]
        tid = self.find(name, K_STRUCT) or self.find(name, K_UNION)
        if not tid:
            return None
        return self._struct_of(tid, name)

    def _struct_of(self, tid: int, key: str) -> KernelStruct:
        if key in self._structs:
            return self._structs[key]
        t, kind, _, _, name = self.raw(tid)
        ks = KernelStruct(self, tid, name, t.size_or_type, kind == K_UNION, key)
        self._structs[key] = ks
        return ks

    def members_of(self, ks: KernelStruct) -> dict[str, KField]:
        t, _, vlen, kflag, _ = self.raw(ks.tid)
        members = self.r.members(t)
        out: dict[str, KField] = {}
        for i in range(vlen):
            m = members[i]
            bit_off = m.offset & 0xFFFFFF if kflag else m.offset
            bits = m.offset >> 24 if kflag else 0
            name = self.r.name(m.name_off)
            mt = self.resolve(m.type)
            _, mkind, _, _, mname = self.raw(mt) if mt else (None, 0, 0, False, "")
            if not name and mkind in (K_STRUCT, K_UNION):
                # anonymous struct/union: its members are reachable by name from here
                inner = self._struct_of(mt, f"{ks.key}.#{i}")
                ks.members.append(("", bit_off, 0, inner))
                for n, f in inner.fields.items():
                    out.setdefault(n, KField(n, f.type, bit_off // 8 + f.offset,
                                             ((ks, i),) + f.path))
                for n, why in inner.unreadable.items():
                    ks.unreadable.setdefault(n, why)
                continue
            ftype, why = self.member_type(m.type, ks.key, i)
            if bits or bit_off % 8:
                ftype, why = None, "it is a bit field"
            ks.members.append((name, bit_off, bits, ftype))
            if ftype is None:
                ks.unreadable[name] = why
                continue
            out[name] = KField(name, ftype, bit_off // 8, ((ks, i),))
        return out

    def member_type(self, tid: int, owner: str = "", index: int = 0) -> tuple[BpfType | None, str]:
        """The DSL type of a BTF type used as a member or argument, or (None, why not)."""
        tid = self.resolve(tid)
        if tid == 0:
            return None, "it has type void"
        t, kind, _, kflag, name = self.raw(tid)
        if kind == K_INT:
            enc = self.r.int_encoding(t)
            if enc & INT_BOOL:
                return BOOL, ""
            size = t.size_or_type
            if size not in (1, 2, 4, 8):
                return None, f"it is a {size * 8}-bit integer"
            return _int(size, bool(enc & INT_SIGNED) and size > 1), ""
        if kind in (K_ENUM, K_ENUM64):
            return _int(t.size_or_type, kflag), ""
        if kind == K_PTR:
            target = self.resolve(t.size_or_type)
            if target:
                _, tkind, _, _, tname = self.raw(target)
                if tkind == K_FWD and tname:
                    ks = self.struct(tname)
                    if ks is not None:
                        return RefType(ks, False, "kernel"), ""
                if tkind in (K_STRUCT, K_UNION) and tname:
                    return RefType(self._struct_of(target, tname), False, "kernel"), ""
            return u64, ""
        if kind == K_ARRAY:
            arr = self.r.array(t)
            elem, why = self.member_type(arr.type)
            if arr.nelems == 0:
                return self._flex(elem, arr.type)
            if not isinstance(elem, ArrayType) and not isinstance(elem, IntType) and elem is not BOOL:
                return None, "it is an array of " + (repr(elem) if elem else "unreadable elements")
            return ArrayType(u8 if isinstance(elem, IntType) and elem.bits == 8 else elem,
                             arr.nelems), ""
        if kind in (K_STRUCT, K_UNION):
            return self._struct_of(tid, name or f"{owner}.#{index}"), ""
        return None, "its BTF kind is not readable from BPF code here"

    def _flex(self, elem: BpfType | None, elem_tid: int) -> tuple[BpfType | None, str]:
        """A flexible array member: readable element by element when its items are integers,
        pointers to kernel structs or kernel structs (reached by reference)."""
        if isinstance(elem, RefType) and isinstance(elem.target, KernelStruct):
            return KernelFlex(RefType(elem.target, False, "probe"), 8), ""
        if isinstance(elem, KernelStruct) and elem.size > 0:
            return KernelFlex(RefType(elem, False, "probe"), elem.size, by_address=True), ""
        if isinstance(elem, IntType) or elem is BOOL:
            size = self.raw(self.resolve(elem_tid))[0].size_or_type
            return KernelFlex(u8 if isinstance(elem, IntType) and elem.bits == 8 else elem,
                              size), ""
        return None, "it is a flexible array of " + (repr(elem) if elem else "unreadable items")

    # ----------------------------------------------------------- functions and tracepoints
    def proto_params(self, proto: int) -> list[tuple[str, int]] | None:
        """(name, BTF type id) of each parameter of FUNC_PROTO ``proto``."""
        t, kind, vlen, _, _ = self.raw(proto)
        if kind != K_FUNC_PROTO:
            return None
        params = self.r.params(t)
        return [(self.r.name(params[i].name_off), params[i].type) for i in range(vlen)]

    def func_args(self, func: str) -> tuple[list[tuple[str, int]], int] | None:
        """Parameters and return type id of kernel function ``func`` (fentry/fexit)."""
        tid = self.find(func, K_FUNC)
        if not tid:
            return None
        proto = self.raw(tid)[0].size_or_type
        ps = self.proto_params(proto)
        return None if ps is None else (ps, self.raw(proto)[0].size_or_type)

    def tp_btf_args(self, name: str) -> list[tuple[str, int]] | None:
        """Arguments of BTF tracepoint ``name``: the ``btf_trace_<name>`` typedef is a pointer
        to a prototype whose first parameter (``void *__data``) the program does not see.
        That prototype has no parameter names; the kernel's ``__bpf_trace_<name>`` function
        has the same parameters with the names of the tracepoint's TP_PROTO."""
        tid = self.find("btf_trace_" + name, K_TYPEDEF)
        if not tid:
            return None
        ptr = self.resolve(tid)
        t, kind, _, _, _ = self.raw(ptr)
        if kind != K_PTR:
            return None
        ps = self.proto_params(t.size_or_type)
        if ps is None:
            return None
        named = self.func_args("__bpf_trace_" + name) or self._bpf_trace_like(name, ps)
        if named is not None and len(named[0]) == len(ps):
            ps = [(n or pn, tid) for (pn, tid), (n, _t) in zip(ps, named[0])]
        return ps[1:]

    def _bpf_trace_like(self, name: str, ps: list[tuple[str, int]]
                        ) -> tuple[list[tuple[str, int]], int] | None:
        """A tracepoint made with DEFINE_EVENT has no ``__bpf_trace_<name>``: it shares its
        class's ``__bpf_trace_<class>`` (``sched_waking`` -> ``sched_wakeup_template``,
        ``softirq_entry`` -> ``softirq``).  BTF does not link event and class, so take the
        function with the same parameter types whose name shares the longest prefix with the
        event's (a class is named after its events; at least the first word must match).
        Two such functions that name the parameters differently: no names."""
        want = [tid for _n, tid in ps]
        scored = []
        for fname in self._bpf_trace_funcs():
            cls = fname[len("__bpf_trace_"):]
            if cls.split("_")[0] != name.split("_")[0]:
                continue
            fa = self.func_args(fname)
            if fa is not None and [tid for _n, tid in fa[0]] == want:
                # longest shared prefix first; then a *_template name (an event class, not
                # another event that happens to have the same prototype)
                scored.append((len(os.path.commonprefix([cls, name])),
                               cls.endswith("_template"), fa))
        if not scored:
            return None
        top = max((s, t) for s, t, _ in scored)
        names = {tuple(n for n, _ in fa[0]) for s, t, fa in scored if (s, t) == top}
        if len(names) != 1:
            return None                       # ambiguous: better unnamed than misnamed
        return next(fa for s, t, fa in scored if (s, t) == top)

    def _bpf_trace_funcs(self) -> list[str]:
        if not hasattr(self, "_bt_funcs"):
            names = []
            for tid in range(1, self.r.count()):
                _t, kind, _, _, n = self.raw(tid)
                if kind == K_FUNC and n.startswith("__bpf_trace_"):
                    names.append(n)
            self._bt_funcs = names
        return self._bt_funcs


def _int(size: int, signed: bool) -> IntType:
    return INT_TYPES[("i" if signed else "u") + str({1: 8, 2: 16, 4: 32, 8: 64}[size])]


@lru_cache(maxsize=None)
def vmlinux() -> KernelBtf | None:
    """The running kernel's BTF, or None when it has none (or libbpf cannot be loaded)."""
    reader = vmlinux_btf()
    return KernelBtf(reader) if reader is not None else None


def kernel_struct(name: str) -> KernelStruct | None:
    """``struct name`` of the running kernel, or None."""
    kb = vmlinux()
    return kb.struct(name) if kb is not None else None


def kernel_has_struct(name: str) -> bool:
    """True when the running kernel's BTF has a ``struct name`` (not a union: the kernel
    looks a kptr's type up by name and by kind, and ours are structs)."""
    kb = vmlinux()
    return kb is not None and bool(kb.find(name, K_STRUCT))


def kernel_lacks_func(name: str) -> bool:
    """True when the running kernel has BTF and no function ``name`` in it (a kfunc newer
    than the kernel); False when it has it or there is no BTF to tell."""
    kb = vmlinux()
    return kb is not None and not kb.find(name, K_FUNC)


# ------------------------------------------------------------------ typed contexts
Field = tuple[str, BpfType, int]


def args_fields(params: list[tuple[str, int]], ret: int | None = None) -> dict[str, Field] | None:
    """tp_btf / fentry / fexit arguments: each argument is a u64 slot of the ctx array; a
    narrower argument is read from the low bytes of its slot (little-endian)."""
    kb = vmlinux()
    assert kb is not None
    out: dict[str, Field] = {}
    for i, (name, tid) in enumerate(params):
        t, _why = kb.member_type(tid)
        out[name or f"arg{i}"] = (name or f"arg{i}", t if t is not None else u64, i * 8)
    if ret is not None:
        rt, _why = kb.member_type(ret)
        if rt is not None and ret:
            out["ret"] = ("ret", rt, len(params) * 8)
    return out


@lru_cache(maxsize=None)
def btf_ctx_fields(kind: str, target: str) -> dict[str, Field] | None:
    """The named arguments of a tp_btf/fentry/fexit program, from the kernel's BTF."""
    kb = vmlinux()
    if kb is None:
        return None
    if kind == "tp_btf":
        ps = kb.tp_btf_args(target)
        return None if ps is None else args_fields(ps)
    fa = kb.func_args(target)
    if fa is None:
        return None
    return args_fields(fa[0], fa[1] if kind == "fexit" else None)


@lru_cache(maxsize=None)
def struct_ctx_fields(c_name: str, nullable_ptrs: bool = False) -> dict[str, Field] | None:
    """Context fields from a kernel struct read at static offsets (``pt_regs``,
    ``bpf_iter__task``, ``bpf_perf_event_data``); the verifier allows no CO-RE on ctx."""
    ks = kernel_struct(c_name)
    if ks is None:
        return None
    out: dict[str, Field] = {}
    for n, f in ks.fields.items():
        t = f.type
        if nullable_ptrs and isinstance(t, RefType) and n != "meta":
            t = RefType(t.target, True, t.space)
        if isinstance(t, KernelStruct):
            continue
        out[n] = (n, t, f.offset)
    return out


@lru_cache(maxsize=None)
def trace_event_fields(name: str) -> dict[str, Field] | None:
    """A tracepoint's record from the kernel's ``trace_event_raw_<name>`` struct, for when
    tracefs is not mounted.  syscalls/sys_enter_* and sys_exit_* share
    ``trace_event_raw_sys_enter`` (``__syscall_nr``, ``args[6]``) /
    ``trace_event_raw_sys_exit`` (``__syscall_nr``, ``ret``).  The common header (``struct trace_entry ent``) is left out: the
    verifier refuses reads of a tracepoint record's first 8 bytes."""
    if name.startswith("sys_enter_"):
        name = "sys_enter"
    elif name.startswith("sys_exit_"):
        name = "sys_exit"
    ks = kernel_struct("trace_event_raw_" + name)
    if ks is None:
        return None
    out: dict[str, Field] = {}
    for n, f in ks.fields.items():
        if isinstance(f.type, KernelStruct):
            continue
        for loc in ("__data_loc_", "__rel_loc_"):
            if n.startswith(loc):           # the raw u32 under its C name, the string by name
                out[n] = (n, f.type, f.offset)
                n = n[len(loc):]
                out[n] = (n, DataLoc(loc == "__rel_loc_"), f.offset)
        if n in out:
            continue
        if n == "id" and name in ("sys_enter", "sys_exit"):
            # the records hold an int __syscall_nr there (tracefs's name); the kernel refuses
            # to attach a program that reads past a record's end, as a long id would
            out["__syscall_nr"] = ("__syscall_nr", INT_TYPES["i32"], f.offset)
            continue
        t = u64 if isinstance(f.type, RefType) else f.type
        out[n] = (n, t, f.offset)
    return out


def base_space(fi: Any, node: ast.expr) -> str:
    """Where the kernel object an access starts from lives: "kernel" (a BTF pointer the
    verifier lets the program load through) or "probe" (read with probe_read_kernel)."""
    t = fi.types.get(node)
    if isinstance(t, RefType):
        return t.space
    if isinstance(node, ast.Attribute):
        return base_space(fi, node.value)
    return "kernel"


# ctx structs of program kinds whose context is a kernel struct read at static offsets
_CTX_STRUCTS = {"uprobe": "pt_regs", "kprobe": "pt_regs", "perf_event": "bpf_perf_event_data"}


def kernel_ctx_fields(fi: Any) -> dict[str, Field] | None:
    """Context fields typed from the kernel's BTF: tp_btf/fentry/fexit arguments by name,
    ``iter/NAME`` (``struct bpf_iter__NAME``: ``ctx.meta``, ``ctx.task`` …), ``pt_regs``
    of uprobes and kprobes, ``bpf_perf_event_data``; None for other kinds."""
    kind, section = fi.ctx_kind, fi.fdef.section or ""
    if kind in ("tp_btf", "fentry", "fexit"):
        target = section.split("/", 1)[1]
        return btf_ctx_fields("fexit" if section.startswith("fexit/") else kind, target)
    if kind == "iter":
        return struct_ctx_fields("bpf_iter__" + section.split("/", 1)[1], True)
    if kind in _CTX_STRUCTS:
        return struct_ctx_fields(_CTX_STRUCTS[kind])
    return None


def kernel_ctx_field(fi: Any, attr: str) -> Field | None:
    """One field of :func:`kernel_ctx_fields`, or None."""
    fields = kernel_ctx_fields(fi)
    return fields.get(attr) if fields else None
