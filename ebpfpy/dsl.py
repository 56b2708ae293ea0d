"""The DSL's runtime objects: real Python names so that a BPF module imports under CPython.

The compiler never imports user code; it recognises these names in the AST.  At run time
they carry just enough behaviour for userspace: ``@struct`` classes pack and unpack, map
declarations record their shape (``ebpfpy.testing`` turns them into in-memory tables), and
the decorators tag functions with their section.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, ClassVar, TypeVar

from .codec import check, encode
from .map_kinds import MapKind
from .types import (BOOL, LISTNODE, RBNODE, REFCOUNT, SPINLOCK, TIMER, ArrayType, ArrayValue, BpfType,
                    FlexType, GraphRootType, KptrType, MapType, PerCpuKptrType, StructType, UnionType,
                    set_union_raw, store_into, u32, u64)

F = TypeVar("F", bound=Callable[..., Any])

# Program return codes (uapi values).
XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = 0, 1, 2, 3, 4
RB_NO_WAKEUP, RB_FORCE_WAKEUP = 1, 2          # events.submit(rec, flags): BPF_RB_* wakeup control
TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_REDIRECT = -1, 0, 2, 7
# get_stackid / get_stack flags (include/uapi/linux/bpf.h)
BPF_F_USER_STACK, BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID = 1 << 8, 1 << 9, 1 << 10
BPF_F_CURRENT_CPU = 0xFFFFFFFF          # perf_event_output: this CPU's slot
# packet helper flags: skb_store_bytes, l3/l4_csum_replace, skb_adjust_room's mode
BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH = 1, 2
BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0 = 0x10, 0x20
BPF_ADJ_ROOM_NET, BPF_ADJ_ROOM_MAC = 0, 1

Timer = TIMER
SpinLock = SPINLOCK


class _ConstMarker:
    """``Const[u32]``: a read-only configuration global (libbpf's ``const volatile``).

    Userspace sets it between opening and loading (``ebpfpy.load(path, config={...})`` or
    ``ebpfpy.open(path)``); the kernel freezes it at load, so the verifier knows its value.
    Under CPython ``Const[T]`` is just ``T``.
    """

    def __getitem__(self, t: Any) -> Any:
        return t

    def __repr__(self) -> str:
        return "Const"


Const = _ConstMarker()


class _KconfigMarker:
    """``LINUX_KERNEL_VERSION: Kconfig[u32]``, ``CONFIG_HZ: Kconfig[u32]``: a value libbpf
    fills at load from the running kernel (libbpf's ``extern ... __kconfig``), read-only.
    Under CPython ``Kconfig[T]`` is just ``T``."""

    def __getitem__(self, t: Any) -> Any:
        return t

    def __repr__(self) -> str:
        return "Kconfig"


Kconfig = _KconfigMarker()


def kernel_struct(cls: Any) -> Any:
    """``@kernel_struct class task_struct___pre514``: a CO-RE struct flavour, the fields a
    kernel struct has on other kernels (libbpf's ``struct task_struct___pre514``).
    ``task_struct___pre514(task)`` views a kernel reference through it.  Under CPython
    the class takes (and ignores) that argument."""
    def __init__(self: Any, _ref: Any = None) -> None:
        pass
    cls.__init__ = __init__
    return cls


def kernel_enum(cls: Any) -> Any:
    """``@kernel_enum class pid_type: PIDTYPE_TGID = 1``: kernel enumerators a program asks
    about with ``helpers.enum_value(pid_type.PIDTYPE_TGID)`` / ``enum_value_exists``, which
    libbpf relocates to the loading kernel's values.  Under CPython the class attributes
    are the declared values."""
    return cls


# ------------------------------------------------------------------------ allocated objects
RbNode = RBNODE
ListNode = LISTNODE
Refcount = REFCOUNT


class _KptrMarker:
    """``Kptr[Node]``: a map-value field that owns an allocated ``Node`` (``__kptr``)."""

    def __getitem__(self, t: Any) -> KptrType:
        return KptrType(_struct_of(t, "Kptr"))

    def __repr__(self) -> str:
        return "Kptr"


class _GraphRootMarker:
    """``RbRoot[Node, "field"]`` / ``ListHead[Node, "field"]``: the root of a tree or list of
    allocated ``Node`` objects linked through their ``field``."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name

    def __getitem__(self, args: Any) -> GraphRootType:
        if not (isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], str)):
            raise TypeError(f'{self.name}[T, "field"] takes a @struct and a field name')
        return GraphRootType(self.kind, _struct_of(args[0], self.name), args[1])

    def __repr__(self) -> str:
        return self.name


def _struct_of(t: Any, what: str) -> StructType:
    st = getattr(t, "__bpf_type__", None)
    if not isinstance(st, StructType):
        raise TypeError(f"{what}[...] takes a @struct class, not {t!r}")
    return st


class _FlexMarker:
    """``items: Flex[u8, 256]``: a struct's flexible array member (C's ``u8 items[]``), its
    last field, with room for 256 items in BPF code; userspace holds the items a record
    brought (``bytes`` for ``u8``, a list otherwise)."""

    def __getitem__(self, args: Any) -> FlexType:
        if not (isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], int)
                and not isinstance(args[1], bool) and args[1] > 0):
            raise TypeError("Flex[T, N] takes the item type and a positive capacity, "
                            "e.g. Flex[u8, 256]")
        return FlexType(_as_type(args[0]), args[1])

    def __repr__(self) -> str:
        return "Flex"


class _PerCpuKptrMarker:
    """``PerCpuKptr[Vals]``: a map-value field that owns a per-CPU ``Vals`` (``__percpu_kptr``)."""

    def __getitem__(self, t: Any) -> PerCpuKptrType:
        return PerCpuKptrType(_struct_of(t, "PerCpuKptr"))

    def __repr__(self) -> str:
        return "PerCpuKptr"


Kptr = _KptrMarker()
PerCpuKptr = _PerCpuKptrMarker()
Flex = _FlexMarker()
RbRoot = _GraphRootMarker("rb", "RbRoot")
ListHead = _GraphRootMarker("list", "ListHead")


class XdpContext:
    """Type of ``ctx`` in ``"xdp"`` programs (``struct xdp_md``)."""


class SkbContext:
    """Type of ``ctx`` in ``"tc"``, ``"socket"`` and ``"cgroup_skb"`` programs (``struct __sk_buff``)."""


def bpf_program(section: str) -> Callable[[F], F]:
    """Mark a function as a BPF program placed in ELF section ``section`` (libbpf's names)."""
    if not isinstance(section, str):
        raise TypeError("@bpf_program takes the section name, e.g. @bpf_program(\"xdp\")")

    def mark(fn: F) -> F:
        fn.__bpf_section__ = section  # type: ignore[attr-defined]
        return fn
    return mark


def bpf_function(fn: F) -> F:
    """Mark a function as a BPF subprogram (a BPF-to-BPF call)."""
    fn.__bpf_function__ = True  # type: ignore[attr-defined]
    return fn


# ------------------------------------------------------------------------ structs
def _resolve_annotations(cls: type) -> dict[str, Any]:
    ann = dict(cls.__dict__.get("__annotations__", {}))
    mod = sys.modules.get(cls.__module__)
    env = dict(vars(mod)) if mod else {}
    env.update({"bool": BOOL})
    out = {}
    for k, v in ann.items():
        if isinstance(v, str):
            v = eval(v, env)  # annotations of a `from __future__ import annotations` module
        if v is bool:
            v = BOOL
        out[k] = v
    return out


def _as_type(t: Any) -> BpfType:
    if isinstance(t, BpfType):
        return t
    if t is bool:
        return BOOL
    st = getattr(t, "__bpf_type__", None)
    if isinstance(st, StructType):
        return st
    raise TypeError(f"{t!r} is not a BPF type")


def _coerce_field(stype: StructType, fname: str, ftype: BpfType, value: Any) -> Any:
    if isinstance(ftype, FlexType):
        check(ftype, value, f"{stype.name}.{fname}")      # 0..capacity items, kept as given
        return bytes(value) if ftype.bytes_like else list(value)
    if isinstance(ftype, ArrayType) and isinstance(value, (bytes, bytearray)):
        check(ftype, value, f"{stype.name}.{fname}")      # too long: ValueError, not cut
        return ftype.unpack(ftype.pack(value))
    if isinstance(ftype, ArrayType) and isinstance(ftype.elem, (StructType, ArrayType)) \
            and type(value) is list:
        return ArrayValue(ftype.elem, value)              # element stores copy, as in BPF code
    return value


def make_struct_class(stype: StructType, base: type | None = None) -> type:
    """Give ``base`` (or a new class) the userspace behaviour of a ``@struct``."""
    names = [f.name for f in stype.fields]

    def __init__(self: Any, **kw: Any) -> None:
        for f in stype.fields:
            value = _coerce_field(stype, f.name, f.type, kw.pop(f.name)) if f.name in kw \
                else f.type.zero()
            object.__setattr__(self, f.name, value)
        if kw:
            raise TypeError(f"{stype.name} has no field {next(iter(kw))!r}")

    def __eq__(self: Any, other: Any) -> bool:
        o_t = getattr(type(other), "__bpf_type__", None)
        return isinstance(o_t, StructType) and o_t.name == stype.name and \
            all(getattr(self, n) == getattr(other, n, None) for n in names)

    def __repr__(self: Any) -> str:
        return f"{stype.name}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"

    def __bytes__(self: Any) -> bytes:
        return encode(stype, self, stype.name)      # checked: never wraps a field

    def from_bytes(cls: type, data: bytes) -> Any:
        need = stype.size if stype.flex is None else stype.flex.offset
        if len(data) < need:
            raise ValueError(f"{stype.name} needs {need} bytes, got {len(data)}")
        return stype.unpack(bytes(data))

    def __class_getitem__(cls: type, n: int) -> ArrayType:
        return stype[n]          # ``Inner[2]``: an array of structs, as ``u8[2]``

    def __setattr__(self: Any, name: str, value: Any) -> None:
        f = by_name.get(name)
        if f is None or name not in self.__dict__ or not store_into(self.__dict__[name], f.type, value):
            object.__setattr__(self, name, value)
        edited = self.__dict__.get("__on_change__")     # this struct inside a union's value
        if edited is not None:
            edited()

    by_name = {f.name: f for f in stype.fields}
    ns: dict[str, Any] = {
        "__init__": __init__, "__eq__": __eq__, "__repr__": __repr__, "__bytes__": __bytes__,
        "__setattr__": __setattr__,
        "__hash__": None, "from_bytes": classmethod(from_bytes), "__bpf_type__": stype,
        "__class_getitem__": classmethod(__class_getitem__)}
    if base is None:
        cls = type(stype.name, (), ns)
    else:
        cls = base
        for k, v in ns.items():
            setattr(cls, k, v)
    stype.pyclass = cls
    return cls


def struct(cls: type) -> type:
    """``@struct``: a C-layout struct usable in BPF code and as a userspace value."""
    members = [(k, _as_type(v)) for k, v in _resolve_annotations(cls).items()]
    return make_struct_class(StructType(cls.__name__, members), cls)


def union(cls: type) -> type:
    """``@union``: a C union (every field at offset 0, the size of the largest), usable
    where a ``@struct`` is.  In userspace an instance holds the union's bytes: assigning one
    field re-reads every other field from them, as C would show it."""
    members = [(k, _as_type(v)) for k, v in _resolve_annotations(cls).items()]
    return make_union_class(UnionType(cls.__name__, members), cls)


def make_union_class(ut: UnionType, base: type | None = None) -> type:
    """Give ``base`` (or a new class) the userspace behaviour of a ``@union``."""
    klass = make_struct_class(ut, base)

    def __init__(self: Any, **kw: Any) -> None:
        if len(kw) > 1:
            raise TypeError(f"union {ut.name} holds one field at a time; got {', '.join(kw)}")
        _set_raw(self, bytes(ut.size))
        for k, v in kw.items():
            setattr(self, k, v)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        f = ut.by_name.get(name)
        if f is None:
            raise AttributeError(f"union {ut.name} has no field {name!r}")
        raw = bytearray(getattr(self, "__raw__", bytes(ut.size)))
        raw[:f.type.size] = encode(f.type, _coerce_field(ut, name, f.type, value), f"{ut.name}.{name}")
        _set_raw(self, bytes(raw))
        edited = self.__dict__.get("__on_change__")     # this union inside another union
        if edited is not None:
            edited()

    def _set_raw(self: Any, raw: bytes) -> None:
        set_union_raw(self, ut, raw)

    setattr(klass, "__init__", __init__)
    setattr(klass, "__setattr__", __setattr__)
    return klass


# ------------------------------------------------------------------------ maps
class MapDecl:
    """A map declaration at module level.  The compiler reads the call from the AST."""

    kind: ClassVar[MapKind]          # each subclass's kind

    def __init__(self, key: Any, value: Any, max_entries: int, **extra: Any) -> None:
        self.type = MapType(self.kind, _as_type(key) if key is not None else None,
                            _as_type(value) if value is not None else None, max_entries,
                            tuple(sorted(extra.items())))
        self.extra = extra

    def __repr__(self) -> str:
        return repr(self.type)


class HashMap(MapDecl):
    """``BPF_MAP_TYPE_HASH``."""
    kind = MapKind.HASH


class PerCpuHashMap(MapDecl):
    """``BPF_MAP_TYPE_PERCPU_HASH``."""
    kind = MapKind.PERCPU_HASH


class LruHashMap(MapDecl):
    """``BPF_MAP_TYPE_LRU_HASH``."""
    kind = MapKind.LRU_HASH


class Array(MapDecl):
    """``BPF_MAP_TYPE_ARRAY``: key ``u32``; ``mmapable=True`` allows ``view()`` in userspace."""
    kind = MapKind.ARRAY

    def __init__(self, value: Any, max_entries: int, mmapable: bool = False) -> None:
        super().__init__(u32, value, max_entries, mmapable=mmapable)


class PerCpuArray(MapDecl):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``."""
    kind = MapKind.PERCPU_ARRAY

    def __init__(self, value: Any, max_entries: int) -> None:
        super().__init__(u32, value, max_entries)


class RingBuf(MapDecl):
    """``BPF_MAP_TYPE_RINGBUF`` of ``size_bytes``; ``event`` is the record type userspace decodes."""
    kind = MapKind.RINGBUF

    def __init__(self, size_bytes: int, event: Any = None) -> None:
        super().__init__(None, None, size_bytes)
        self.event = event


class PerfEventArray(MapDecl):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: one perf buffer per CPU; ``events.output(ctx, rec)``.

    ``max_entries`` defaults to 0, which libbpf turns into the number of possible CPUs;
    ``event`` is the record type userspace decodes."""
    kind = MapKind.PERF_EVENT_ARRAY

    def __init__(self, *, max_entries: int = 0, event: Any = None) -> None:
        super().__init__(u32, u32, max_entries)
        self.event = event


class StackTraceMap(MapDecl):
    """``BPF_MAP_TYPE_STACK_TRACE``: stack id -> up to ``depth`` (1..127) instruction addresses,
    filled by ``stacks.get_stackid(ctx, flags)`` in BPF code; ``stacks[id]`` in userspace."""
    kind = MapKind.STACK_TRACE

    def __init__(self, max_entries: int, depth: int = 127) -> None:
        super().__init__(u32, u64[depth], max_entries)


class CgroupArray(MapDecl):
    """``BPF_MAP_TYPE_CGROUP_ARRAY``: slots holding cgroups, set from userspace by path
    (``obj.maps.cg[0] = "/sys/fs/cgroup/unified/app"``), tested in BPF code with
    ``helpers.current_task_under_cgroup(cg, index)``."""
    kind = MapKind.CGROUP_ARRAY

    def __init__(self, max_entries: int) -> None:
        super().__init__(u32, u32, max_entries)


class ProgArray(MapDecl):
    """``BPF_MAP_TYPE_PROG_ARRAY`` for ``tail_call``."""
    kind = MapKind.PROG_ARRAY

    def __init__(self, max_entries: int) -> None:
        super().__init__(u32, u32, max_entries)


MAP_KINDS = {c.kind: c for c in (HashMap, PerCpuHashMap, LruHashMap, Array, PerCpuArray,
                                 RingBuf, PerfEventArray, StackTraceMap,
                                 CgroupArray, ProgArray)}
