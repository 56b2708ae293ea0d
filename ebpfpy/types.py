"""The type system shared by the compiler, the CPython reference model and userspace.

Types are immutable singletons or frozen dataclasses.  Size, alignment and the exact
integer semantics of LANGUAGE.md §3 live here, because the lowering, the constant
folder, the CPython reference (``ebpfpy.testing``) and the userspace codecs must all
agree on them.

The integer types double as the DSL's runtime objects: ``u32(x)`` truncates like a cast,
``u8[16]`` is an :class:`ArrayType` and ``u8[16]()`` a zeroed array, so a BPF module
imports and runs under CPython.
"""
from __future__ import annotations

import struct as _struct
from functools import partial
from dataclasses import dataclass, field
from typing import Any, Iterator

from .map_kinds import MapKind


class BpfType:
    """Base of every DSL type."""

    size: int = 0
    align: int = 1

    def __getitem__(self, n: int) -> "ArrayType":
        """``T[n]`` is a fixed array of ``n`` elements of ``T``; ``T[a][b]`` is C's ``T x[a][b]``."""
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise TypeError(f"array length must be a positive int, not {n!r}")
        return ArrayType(self, n)

    # userspace codec -------------------------------------------------------------
    def zero(self) -> Any:
        raise NotImplementedError

    def pack(self, value: Any) -> bytes:
        raise NotImplementedError

    def unpack(self, data: bytes) -> Any:
        raise NotImplementedError


class IntType(BpfType):
    """A fixed-width two's complement integer type (``u8`` … ``i64``)."""

    def __init__(self, name: str, bits: int, signed: bool) -> None:
        self.name = name
        self.bits = bits
        self.signed = signed
        self.size = bits // 8
        self.align = self.size
        self.mask = (1 << bits) - 1
        self.min = -(1 << (bits - 1)) if signed else 0
        self.max = (1 << (bits - 1)) - 1 if signed else self.mask

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name

    # semantics -------------------------------------------------------------------
    def wrap(self, v: int) -> int:
        """Reduce ``v`` modulo 2**bits into this type's range."""
        v &= self.mask
        if self.signed and v > self.max:
            v -= 1 << self.bits
        return v

    def fits(self, v: int) -> bool:
        return self.min <= v <= self.max

    def __call__(self, v: Any = 0) -> int:
        """The cast ``u32(x)``: truncate or sign-extend; ``bool`` gives 0 or 1."""
        return self.wrap(int(v))

    def floordiv(self, a: int, b: int) -> int:
        """Python's floor division, wrapped; ``x // 0 == 0`` and ``MIN // -1 == MIN``."""
        if b == 0:
            return 0
        return self.wrap(a // b)

    def mod(self, a: int, b: int) -> int:
        """Python's modulo (sign of the divisor); ``x % 0 == x``."""
        if b == 0:
            return a
        return self.wrap(a % b)

    def shl(self, a: int, n: int) -> int:
        return self.wrap(a << (n % self.bits))

    def shr(self, a: int, n: int) -> int:
        """Arithmetic for signed types, logical for unsigned (a is already in range)."""
        return self.wrap(a >> (n % self.bits))

    # codec -------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return {1: "b", 2: "h", 4: "i", 8: "q"}[self.size] if self.signed else \
            {1: "B", 2: "H", 4: "I", 8: "Q"}[self.size]

    def zero(self) -> int:
        return 0

    def pack(self, value: Any) -> bytes:
        return _struct.pack("<" + self.fmt, self.wrap(int(value)))

    def unpack(self, data: bytes) -> int:
        return _struct.unpack_from("<" + self.fmt, data)[0]


class BoolType(BpfType):
    """``bool``: one byte, 0 or 1."""

    name = "bool"
    size = 1
    align = 1
    bits = 8
    signed = False

    def __repr__(self) -> str:
        return "bool"

    def zero(self) -> bool:
        return False

    def pack(self, value: Any) -> bytes:
        return bytes([1 if value else 0])

    def unpack(self, data: bytes) -> bool:
        return bool(data[0])


u8 = IntType("u8", 8, False)
u16 = IntType("u16", 16, False)
u32 = IntType("u32", 32, False)
u64 = IntType("u64", 64, False)
i8 = IntType("i8", 8, True)
i16 = IntType("i16", 16, True)
i32 = IntType("i32", 32, True)
i64 = IntType("i64", 64, True)
BOOL = BoolType()
INT_TYPES: dict[str, IntType] = {t.name: t for t in (u8, u16, u32, u64, i8, i16, i32, i64)}


def common_int(a: IntType, b: IntType) -> IntType | None:
    """The result type of mixing ``a`` and ``b`` (same signedness: the wider), else None."""
    if a.signed != b.signed:
        return None
    return a if a.bits >= b.bits else b


def widens_to(src: BpfType, dst: BpfType) -> bool:
    """True when every value of ``src`` is a value of ``dst`` (implicit conversion allowed)."""
    if src is dst:
        return True
    if isinstance(src, IntType) and isinstance(dst, IntType):
        return dst.min <= src.min and src.max <= dst.max
    return False


@dataclass(frozen=True)
class ArrayType(BpfType):
    """A fixed array ``elem[length]``."""

    elem: BpfType
    length: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", self.elem.size * self.length)
        object.__setattr__(self, "align", self.elem.align)

    def __repr__(self) -> str:
        dims: list[int] = []
        t: BpfType = self
        while isinstance(t, ArrayType):
            dims.append(t.length)
            t = t.elem
        return repr(t) + "".join(f"[{d}]" for d in dims)

    def __getitem__(self, n: int) -> "ArrayType":
        # u16[2][3] is two rows of three: the new dimension goes innermost.
        inner = self.elem[n]
        return ArrayType(inner, self.length)

    def __call__(self) -> list:
        """``u8[16]()``: a zeroed array (a list, nested for 2-D)."""
        return self.zero()

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.length,) + (self.elem.shape if isinstance(self.elem, ArrayType) else ())

    @property
    def scalar(self) -> BpfType:
        t: BpfType = self
        while isinstance(t, ArrayType):
            t = t.elem
        return t

    def zero(self) -> list:
        items = [self.elem.zero() for _ in range(self.length)]
        return ArrayValue(self.elem, items) if _holds_objects(self.elem) else items

    def pack(self, value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray)) and self.elem is u8:
            return bytes(value[: self.length]).ljust(self.size, b"\0")
        out = b"".join(self.elem.pack(v) for v in value)
        if len(value) > self.length:
            raise ValueError(f"{len(value)} elements do not fit {self!r}")
        return out.ljust(self.size, b"\0")

    def unpack(self, data: bytes) -> list:
        if isinstance(self.elem, IntType):
            # one struct call for the whole array: a record's u8[4096] path decodes in
            # microseconds, not one Python call per byte (records arrive by thousands)
            return list(_struct.unpack_from(f"<{self.length}{self.elem.fmt}", data))
        es = self.elem.size
        return ArrayValue(self.elem, [self.elem.unpack(data[i * es:(i + 1) * es])
                                      for i in range(self.length)])


class FlexType(ArrayType):
    """``Flex[T, N]``: a struct's flexible array member (C's ``T items[]``), the last field,
    with a capacity of ``N`` elements.

    BPF code sees an array of ``N`` (indexing needs the same bounds as any array); a local
    or a reservation of the struct has room for all ``N``.  C's ``sizeof`` and BTF leave the
    items out (:attr:`StructType.c_size`).  In userspace the field holds as many elements as
    a record brought: ``bytes`` for ``u8`` items, a list otherwise, at most ``N``.
    """

    def __repr__(self) -> str:
        return f"Flex[{self.elem!r}, {self.length}]"

    def __getitem__(self, n: int) -> ArrayType:
        raise TypeError("a Flex field cannot be the element of an array")

    def zero(self) -> Any:
        return b"" if self.bytes_like else []

    @property
    def bytes_like(self) -> bool:
        """Whether userspace shows the items as ``bytes`` (``u8`` items, as a cut record's)."""
        return self.elem == u8

    def pack(self, value: Any) -> bytes:
        """The items present, back to back (no padding to the capacity)."""
        if len(value) > self.length:
            raise ValueError(f"{len(value)} elements do not fit {self!r}")
        if isinstance(value, (bytes, bytearray)) and self.bytes_like:
            return bytes(value)
        return b"".join(self.elem.pack(v) for v in value)

    def unpack(self, data: bytes) -> Any:
        """The whole elements ``data`` holds, at most the capacity."""
        es = self.elem.size
        n = min(len(data) // es, self.length)
        if self.bytes_like:
            return bytes(data[:n])
        if isinstance(self.elem, IntType):
            return list(_struct.unpack_from(f"<{n}{self.elem.fmt}", data))
        return [self.elem.unpack(data[i * es:(i + 1) * es]) for i in range(n)]


@dataclass(frozen=True)
class Field:
    name: str
    type: BpfType
    offset: int


class OpaqueType(BpfType):
    """Kernel-owned struct members (``Timer``, ``SpinLock``): opaque bytes in userspace."""

    def __init__(self, name: str, c_name: str, size: int, align: int) -> None:
        self.name, self.c_name, self.size, self.align = name, c_name, size, align

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name

    def zero(self) -> bytes:
        return bytes(self.size)

    def pack(self, value: Any) -> bytes:
        return bytes(value or b"").ljust(self.size, b"\0")[: self.size]

    def unpack(self, data: bytes) -> bytes:
        return bytes(data[: self.size])


TIMER = OpaqueType("Timer", "bpf_timer", 16, 8)
SPINLOCK = OpaqueType("SpinLock", "bpf_spin_lock", 4, 4)


class ContextType(BpfType):
    """A program's context as a ``@bpf_function`` parameter (``ctx: XdpContext``): the
    pointer the program was given, passed on as it is (``kinds``: the program kinds whose
    ctx it is; ``c_name``: the kernel struct it points to)."""

    size = 8
    align = 8

    def __init__(self, name: str, c_name: str, kinds: tuple[str, ...]) -> None:
        self.name, self.c_name, self.kinds = name, c_name, kinds

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContextType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("ctx", self.name))


XDP_CTX = ContextType("XdpContext", "xdp_md", ("xdp",))
SKB_CTX = ContextType("SkbContext", "__sk_buff", ("tc", "socket", "cgroup_skb"))
CONTEXT_TYPES = {"XdpContext": XDP_CTX, "SkbContext": SKB_CTX}


class KptrType(OpaqueType):
    """``Kptr[T]``: a map value's slot owning an object the program allocated (``__kptr``).

    Only ``helpers.kptr_xchg`` reads or writes it; userspace sees 8 opaque bytes."""

    percpu = False                  # PerCpuKptr[T]: one T per CPU (``__percpu_kptr``)

    def __init__(self, target: "StructType") -> None:
        super().__init__(f"{'PerCpuKptr' if self.percpu else 'Kptr'}[{target.name}]", "", 8, 8)
        self.target = target

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KptrType) and other.target == self.target and \
            other.percpu == self.percpu

    def unpack(self, data: bytes) -> None:       # type: ignore[override]
        """None: the object is the kernel's (a map read shows no pointer; writes keep it)."""
        return None

    def __hash__(self) -> int:
        return hash(("kptr", self.target.name, self.percpu))


class PerCpuKptrType(KptrType):
    """``PerCpuKptr[T]``: a map value's slot owning a per-CPU object the program allocated
    with ``helpers.percpu_obj_new`` (``__percpu_kptr``): one ``T`` for each CPU."""

    percpu = True


class GraphRootType(OpaqueType):
    """``RbRoot[T, "field"]`` / ``ListHead[T, "field"]``: the root of a red-black tree or
    list of allocated ``T`` objects linked through their ``field`` (an ``RbNode`` or
    ``ListNode``).  The kernel learns ``T`` and ``field`` from a BTF declaration tag."""

    def __init__(self, kind: str, target: "StructType", node: str) -> None:
        dsl, c_name = ("RbRoot", "bpf_rb_root") if kind == "rb" else ("ListHead", "bpf_list_head")
        super().__init__(f"{dsl}[{target.name}, {node!r}]", c_name, 16, 8)
        self.kind, self.target, self.node = kind, target, node

    def unpack(self, data: bytes) -> None:       # type: ignore[override]
        """None: the tree or list is the kernel's; userspace cannot walk it."""
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GraphRootType) and (other.kind, other.target.name, other.node) \
            == (self.kind, self.target.name, self.node)

    def __hash__(self) -> int:
        return hash(("graph", self.kind, self.target.name, self.node))


RBNODE = OpaqueType("RbNode", "bpf_rb_node", 32, 8)
LISTNODE = OpaqueType("ListNode", "bpf_list_node", 24, 8)
GRAPH_NODES = {"rb": RBNODE, "list": LISTNODE}
# struct bpf_refcount: makes an allocated object reference-counted (helpers.refcount_acquire)
REFCOUNT = OpaqueType("Refcount", "bpf_refcount", 4, 4)


def kernel_owned(t: BpfType) -> bool:
    """True for the members only the kernel may touch: timers, locks, kptrs, tree and list
    roots and nodes (they live in map values or allocated objects, never on the stack)."""
    return t in (TIMER, SPINLOCK, RBNODE, LISTNODE, REFCOUNT) or \
        isinstance(t, (KptrType, GraphRootType))


class StructType(BpfType):
    """A C-layout struct with natural alignment (LANGUAGE.md §2 ``@struct``).

    ``pyclass`` is the userspace class whose instances this type packs and unpacks.
    """

    def __init__(self, name: str, members: list[tuple[str, BpfType]], pyclass: type[Any] | None = None) -> None:
        self.name = name
        self.fields: list[Field] = []
        off, align = 0, 1
        for fname, ftype in members:
            off = (off + ftype.align - 1) // ftype.align * ftype.align
            self.fields.append(Field(fname, ftype, off))
            off += ftype.size
            align = max(align, ftype.align)
        self.align = align
        self.size = (off + align - 1) // align * align if members else 0
        self.by_name: dict[str, Field] = {f.name: f for f in self.fields}
        self.pyclass: type[Any] | None = pyclass
        last = self.fields[-1] if self.fields else None
        self.flex: Field | None = last if last is not None and isinstance(last.type, FlexType) \
            else None
        # C's sizeof: the items of a flexible array are not part of it (their alignment is)
        self.c_size = self.size if self.flex is None else \
            (self.flex.offset + align - 1) // align * align

    @property
    def has_flex(self) -> bool:
        """Whether the last field is a ``Flex[T, N]`` (the struct's size is not fixed)."""
        return self.flex is not None

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StructType) and other.name == self.name and \
            [(f.name, repr(f.type), f.offset) for f in other.fields] == \
            [(f.name, repr(f.type), f.offset) for f in self.fields]

    def __hash__(self) -> int:
        return hash(("struct", self.name))

    def zero(self) -> Any:
        return self.pyclass() if self.pyclass else {f.name: f.type.zero() for f in self.fields}

    def pack(self, value: Any) -> bytes:
        """The struct's bytes; with a ``Flex`` field, the head and then the items present
        (``offset + count * item size`` bytes: what a program sends with ``output(rec, size)``)."""
        buf = bytearray(self.size if self.flex is None else self.flex.offset)
        for f in self.fields:
            v = value[f.name] if isinstance(value, dict) else getattr(value, f.name)
            if f is self.flex:
                buf += f.type.pack(v)
            else:
                buf[f.offset:f.offset + f.type.size] = f.type.pack(v)
        return bytes(buf)

    def unpack(self, data: bytes) -> Any:
        vals = {f.name: f.type.unpack(data[f.offset:] if f is self.flex else
                                      data[f.offset:f.offset + f.type.size]) for f in self.fields}
        if self.pyclass is None:
            return vals
        cls: Any = self.pyclass            # a user class, made without calling its __init__
        obj = cls.__new__(cls)
        for k, v in vals.items():
            object.__setattr__(obj, k, v)
        return obj


class UnionType(StructType):
    """A C union (``@union``): every field at offset 0, the size the largest field's rounded
    to the strictest alignment.  A userspace value keeps the union's bytes (``__raw__``) and
    shows every field decoded from them."""

    def __init__(self, name: str, members: list[tuple[str, BpfType]], pyclass: type[Any] | None = None) -> None:
        super().__init__(name, [], pyclass)
        self.fields = [Field(n, t, 0) for n, t in members]
        self.by_name = {f.name: f for f in self.fields}
        self.align = max((t.align for _, t in members), default=1)
        big = max((t.size for _, t in members), default=0)
        self.size = self.c_size = (big + self.align - 1) // self.align * self.align

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnionType) and StructType.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(("union", self.name))

    def pack(self, value: Any) -> bytes:
        raw = value.get("__raw__") if isinstance(value, dict) else getattr(value, "__raw__", None)
        if raw is not None:
            return bytes(raw).ljust(self.size, b"\0")[:self.size]
        buf = bytearray(self.size)        # a dict naming at most one field
        for f in self.fields:
            if isinstance(value, dict) and f.name in value:
                buf[:f.type.size] = f.type.pack(value[f.name])
        return bytes(buf)

    def unpack(self, data: bytes) -> Any:
        raw = bytes(data[:self.size])
        vals = {f.name: f.type.unpack(raw[:f.type.size]) for f in self.fields}
        if self.pyclass is None:
            return {**vals, "__raw__": raw}
        cls: Any = self.pyclass
        obj = cls.__new__(cls)
        set_union_raw(obj, self, raw)
        return obj


def iter_scalars(t: BpfType) -> Iterator[BpfType]:
    """Yield every leaf type inside ``t`` (used by checks such as 'contains a Timer')."""
    if isinstance(t, ArrayType):
        yield from iter_scalars(t.elem)
    elif isinstance(t, StructType):
        for f in t.fields:
            yield from iter_scalars(f.type)
    else:
        yield t


# ------------------------------------------------------------------ compiler-only types
@dataclass(frozen=True)
class RefType(BpfType):
    """A pointer to ``target``; ``nullable`` for map lookups and packet loads until checked."""

    target: BpfType
    nullable: bool = False
    space: str = "map"        # "map" | "stack" | "ctx" | "packet" | "kernel"
    size: int = 8
    align: int = 8

    def __repr__(self) -> str:
        return f"ref[{self.target!r}]" + ("?" if self.nullable else "")


@dataclass(frozen=True)
class MapType(BpfType):
    """A map declaration's type: its kind and key/value types."""

    kind: MapKind
    key: BpfType | None
    value: BpfType | None
    max_entries: int
    extra: tuple = field(default=())

    def __repr__(self) -> str:
        return f"{self.kind}({self.key!r}, {self.value!r}, {self.max_entries})"

    @property
    def key_type(self) -> BpfType:
        """The key type of a keyed map (every kind but the ring buffer)."""
        if self.key is None:
            raise TypeError(f"a {self.kind} has no keys")
        return self.key

    @property
    def value_type(self) -> BpfType:
        """The value type of a keyed map (every kind but the ring buffer)."""
        if self.value is None:
            raise TypeError(f"a {self.kind} has no values")
        return self.value


@dataclass(frozen=True)
class NoneType_(BpfType):
    def __repr__(self) -> str:
        return "None"


NONE = NoneType_()


def _holds_objects(t: BpfType) -> bool:
    return isinstance(t, (StructType, ArrayType))


class ArrayValue(list[Any]):
    """A CPython array of structs or arrays.  Storing an element copies into it, as BPF code
    does (LANGUAGE.md §4: storing copies), so a name bound to the element before the store
    (``q = a[0]; a[0] = a[1]``) sees the new contents, as it does in the kernel."""

    __slots__ = ("elem",)

    def __init__(self, elem: BpfType, items: Any = ()) -> None:
        super().__init__(items)
        self.elem = elem

    def __setitem__(self, i: Any, value: Any) -> None:
        if isinstance(i, int) and -len(self) <= i < len(self) and store_into(self[i], self.elem, value):
            return
        super().__setitem__(i, value)

    def __reduce__(self) -> Any:
        return (ArrayValue, (self.elem, list(self)))


def store_into(current: Any, t: BpfType, value: Any) -> bool:
    """Copy ``value`` into the struct or array object ``current`` of type ``t`` in place
    (BPF code stores structs and arrays by copy), keeping ``current``'s identity.  False when
    the store must rebind instead: integers, bytes, unions, a value of another shape."""
    if current is value:
        return True
    if isinstance(t, StructType) and not isinstance(t, UnionType) \
            and getattr(type(current), "__bpf_type__", None) is t \
            and getattr(type(value), "__bpf_type__", None) is t:
        snapshot = [(f.name, getattr(value, f.name)) for f in t.fields]
        for name, v in snapshot:
            setattr(current, name, v)
        return True
    if isinstance(t, ArrayType) and isinstance(current, list) and isinstance(value, list) \
            and len(value) == len(current) == t.length:
        for i, v in enumerate(list(value)):
            if not store_into(current[i], t.elem, v):
                list.__setitem__(current, i, v)
        return True
    return False


class WatchedList(ArrayValue):
    """An array inside a union's userspace value: storing an element rewrites the union's
    bytes (and so every other field's view of them), as editing the C union would."""

    __slots__ = ("on_change",)

    def __init__(self, elem: BpfType, items: Any, on_change: Any) -> None:
        super().__init__(elem, items)
        self.on_change = on_change

    def __setitem__(self, i: Any, value: Any) -> None:
        super().__setitem__(i, value)
        self.on_change()

    def __reduce__(self) -> Any:
        return (ArrayValue, (self.elem, list(self)))


def _watch(value: Any, t: BpfType, on_change: Any) -> Any:
    """``value`` (a union field's decoded value) with every array and struct inside it made to
    call ``on_change`` when edited in place."""
    if isinstance(t, ArrayType) and isinstance(value, list):
        return WatchedList(t.elem, [_watch(v, t.elem, on_change) for v in value], on_change)
    if isinstance(t, StructType) and t.pyclass is not None and isinstance(value, t.pyclass):
        if not isinstance(t, UnionType):
            for f in t.fields:
                object.__setattr__(value, f.name, _watch(getattr(value, f.name), f.type, on_change))
        object.__setattr__(value, "__on_change__", on_change)
    return value


def set_union_raw(obj: Any, ut: UnionType, raw: bytes, keep: str | None = None) -> None:
    """Give a union's userspace value the bytes ``raw``: every field (but ``keep``, the one
    just edited in place, which keeps its object) decoded from them again."""
    object.__setattr__(obj, "__raw__", raw)
    for f in ut.fields:
        if f.name != keep:
            value = f.type.unpack(raw[:f.type.size])
            object.__setattr__(obj, f.name, _watch(value, f.type, partial(union_field_edited, obj, ut, f.name)))


def union_field_edited(obj: Any, ut: UnionType, name: str) -> None:
    """A union field's array or struct was edited in place: its bytes become the union's."""
    f = ut.by_name[name]
    raw = bytearray(obj.__raw__)
    raw[:f.type.size] = f.type.pack(getattr(obj, name))
    set_union_raw(obj, ut, bytes(raw), keep=name)
    edited = obj.__dict__.get("__on_change__")        # this union inside another union
    if edited is not None:
        edited()
