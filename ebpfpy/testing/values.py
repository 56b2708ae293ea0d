"""Runtime values of the CPython reference model: how BPF data lives in the simulator.

Integers are Python ``int`` kept in their type's range, ``bool`` is ``bool``, arrays are
Python lists (nested for 2-D) and structs are instances of a class made per struct type
(:func:`struct_class`).  Aggregates are mutable objects, so binding a second name to one
(``q = p``) or passing it to a ``@bpf_function`` aliases it, as in Python; storing one into
a field, an element, a map or the ctx copies it *into* the destination (:func:`copy_into`),
as the compiled code copies memory.
"""
from __future__ import annotations

from typing import Any

from .rbtree import RbTree
from ..types import (BOOL, ArrayType, BoolType, BpfType, GraphRootType, IntType, KptrType,
                     OpaqueType, StructType, TIMER, UnionType)

_CLASSES: dict[int, type[SimStruct]] = {}


class SimStruct:
    """Base of the simulator's struct instances (one subclass per struct type)."""

    __bpf_type__: StructType
    __slots__ = ()

    def __init__(self, **kw: Any) -> None:
        st = type(self).__bpf_type__
        for f in st.fields:
            object.__setattr__(self, f.name, from_user(f.type, kw.pop(f.name)) if f.name in kw
                               else zero(f.type))
        if kw:
            raise TypeError(f"{st.name} has no field {next(iter(kw))!r}")

    def __eq__(self, other: Any) -> bool:
        """Equal to any struct value of the same name and fields (the user's ``@struct`` too)."""
        st = type(self).__bpf_type__
        ot = getattr(type(other), "__bpf_type__", None)
        if isinstance(other, dict):
            return set(other) == set(st.by_name) and all(getattr(self, k) == v for k, v in other.items())
        return isinstance(ot, StructType) and ot.name == st.name and \
            all(getattr(self, f.name) == getattr(other, f.name, None) for f in st.fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        st = type(self).__bpf_type__
        return f"{st.name}(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in st.fields) + ")"

    def __bytes__(self) -> bytes:
        return pack(type(self).__bpf_type__, self)


def struct_class(st: StructType) -> type[SimStruct]:
    """The simulator's class for struct type ``st`` (cached per type object)."""
    cls = _CLASSES.get(id(st))
    if cls is None or cls.__bpf_type__ is not st:
        base = SimUnion if isinstance(st, UnionType) else SimStruct
        cls = type(st.name, (base,), {"__bpf_type__": st, "__slots__": ("__dict__",)})
        _CLASSES[id(st)] = cls
    return cls


class SimUnion(SimStruct):
    """A union: its fields are views of one set of bytes.  The program may change the field
    it touched last in place (``u.v6[0] = 1``), so the bytes are brought up to date from that
    field when another is read, and the others are decoded again from them."""

    __slots__ = ()

    def __init__(self, **kw: Any) -> None:
        st = type(self).__bpf_type__
        d = object.__getattribute__(self, "__dict__")
        d["__raw__"], d["__last__"] = bytes(st.size), None
        _sync_union(self, st)
        for k, v in kw.items():
            if k not in st.by_name:
                raise TypeError(f"{st.name} has no field {k!r}")
            setattr(self, k, from_user(st.by_name[k].type, v))

    def __getattribute__(self, name: str) -> Any:
        st = object.__getattribute__(self, "__bpf_type__")
        if name in st.by_name:
            _sync_union(self, st)
            object.__setattr__(self, "__last__", name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        st = object.__getattribute__(self, "__bpf_type__")
        _sync_union(self, st)
        object.__setattr__(self, name, value)
        object.__setattr__(self, "__last__", name)


def _sync_union(u: Any, st: StructType) -> None:
    """Rewrite the bytes from the last touched field and decode every other field."""
    d = object.__getattribute__(u, "__dict__")
    last = d.get("__last__")
    raw = bytearray(d.get("__raw__", bytes(st.size)))
    if last is not None:
        f = st.by_name[last]
        raw[:f.type.size] = pack(f.type, d[last])
    d["__raw__"] = bytes(raw)
    for f in st.fields:
        if f.name != last or f.name not in d:
            d[f.name] = unpack(f.type, bytes(raw[:f.type.size]))


class SimTimer:
    """A ``Timer`` field: remembers its map, callback and the last ``start``."""

    def __init__(self) -> None:
        self.map: Any = None
        self.callback: str | None = None
        self.armed_ns: int | None = None

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, (SimTimer, bytes, bytearray))

    def __repr__(self) -> str:
        return "Timer()"


class SimKptr:
    """A ``Kptr[T]`` field: the allocated object it holds, or None."""

    def __init__(self) -> None:
        self.obj: Any = None

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, (SimKptr, bytes, bytearray)) or other is None

    def __repr__(self) -> str:
        return f"Kptr({self.obj!r})" if self.obj is not None else "None"


class SimGraphRoot:
    """An ``RbRoot`` / ``ListHead`` field: a tree shaped as the kernel's, or a list."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.tree = RbTree() if kind == "rb" else None
        self.list: list[Any] = []

    @property
    def items(self) -> list[Any]:
        """Its objects in order (a tree's: by the program's ``less``)."""
        return self.tree.items() if self.tree is not None else self.list

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, (SimGraphRoot, bytes, bytearray))

    def __repr__(self) -> str:
        return ("RbRoot" if self.kind == "rb" else "ListHead") + f"({self.items!r})"


def zero(t: BpfType) -> Any:
    """A fresh zero value of ``t``."""
    if isinstance(t, IntType):
        return 0
    if isinstance(t, BoolType):
        return False
    if isinstance(t, ArrayType):
        return [zero(t.elem) for _ in range(t.length)]
    if isinstance(t, UnionType):
        return unpack(t, bytes(t.size))
    if isinstance(t, StructType):
        obj = struct_class(t).__new__(struct_class(t))
        for f in t.fields:
            object.__setattr__(obj, f.name, zero(f.type))
        return obj
    if t is TIMER:
        return SimTimer()
    if isinstance(t, KptrType):
        return SimKptr()
    if isinstance(t, GraphRootType):
        return SimGraphRoot(t.kind)
    if isinstance(t, OpaqueType):
        return bytes(t.size)
    raise TypeError(f"no value of type {t!r}")


def convert(v: Any, src: BpfType | None, dst: BpfType) -> Any:
    """A scalar converted as the compiled code converts it: truncate/extend, ``!= 0`` for bool."""
    if isinstance(dst, BoolType):
        return bool(v)
    if isinstance(dst, IntType):
        return dst.wrap(int(v))
    return v


def copy_into(t: BpfType, dst: Any, src: Any) -> Any:
    """Copy aggregate ``src`` into the existing object ``dst`` (aliases of ``dst`` see it)."""
    if isinstance(t, ArrayType):
        for i in range(t.length):
            if isinstance(t.elem, (ArrayType, StructType)):
                copy_into(t.elem, dst[i], src[i])
            else:
                dst[i] = convert(src[i], t.elem, t.elem)
        return dst
    if isinstance(t, UnionType):                  # the bytes, then every view of them
        d = object.__getattribute__(dst, "__dict__")
        d.update(object.__getattribute__(unpack(t, pack(t, src)), "__dict__"))
        return dst
    if isinstance(t, StructType):
        for f in t.fields:
            sv = getattr(src, f.name)
            if isinstance(f.type, (ArrayType, StructType)):
                copy_into(f.type, getattr(dst, f.name), sv)
            elif isinstance(f.type, OpaqueType):
                pass            # a Timer/SpinLock is kernel-owned: copying leaves it be
            else:
                object.__setattr__(dst, f.name, convert(sv, f.type, f.type))
        return dst
    return convert(src, t, t)


def copy(t: BpfType, v: Any) -> Any:
    """A fresh copy of ``v``."""
    if isinstance(t, (ArrayType, StructType)):
        return copy_into(t, zero(t), v)
    return v


def pack(t: BpfType, v: Any) -> bytes:
    """The C layout of ``v`` (the bytes the kernel would hold)."""
    if isinstance(t, UnionType) and isinstance(v, SimUnion):
        _sync_union(v, t)
        return object.__getattribute__(v, "__dict__")["__raw__"]
    if isinstance(t, UnionType):                # a user's union instance, or a dict
        return t.pack(v)
    if isinstance(t, StructType):
        buf = bytearray(t.size)
        for f in t.fields:
            fv = getattr(v, f.name) if not isinstance(v, dict) else v.get(f.name, zero(f.type))
            buf[f.offset:f.offset + f.type.size] = pack(f.type, fv)
        return bytes(buf)
    if isinstance(t, ArrayType):
        if isinstance(v, (bytes, bytearray)):
            return bytes(v[:t.size]).ljust(t.size, b"\0")
        return b"".join(pack(t.elem, x) for x in v).ljust(t.size, b"\0")
    if isinstance(t, OpaqueType):
        return bytes(t.size)
    if t is BOOL:
        return bytes([1 if v else 0])
    return t.pack(v)


def unpack(t: BpfType, data: bytes) -> Any:
    """A simulator value from the C layout."""
    if isinstance(t, UnionType):
        cls = struct_class(t)
        obj = cls.__new__(cls)
        d = object.__getattribute__(obj, "__dict__")
        d["__raw__"] = bytes(data[:t.size])
        d["__last__"] = None
        _sync_union(obj, t)
        return obj
    if isinstance(t, StructType):
        cls = struct_class(t)
        obj = cls.__new__(cls)
        for f in t.fields:
            object.__setattr__(obj, f.name, unpack(f.type, data[f.offset:f.offset + f.type.size]))
        return obj
    if isinstance(t, ArrayType):
        es = t.elem.size
        return [unpack(t.elem, data[i * es:(i + 1) * es]) for i in range(t.length)]
    if t is TIMER:
        return SimTimer()
    if isinstance(t, (KptrType, GraphRootType)):
        return None                 # kernel-owned objects: userspace sees none (as the loader)
    if isinstance(t, OpaqueType):
        return bytes(data[:t.size])
    if t is BOOL:
        return bool(data[0])
    return t.unpack(data)


def from_user(t: BpfType, v: Any) -> Any:
    """Accept a userspace value (int, the user's ``@struct``, list, bytes, dict) as ``t``."""
    if isinstance(t, (IntType, BoolType)):
        return convert(v, None, t)
    if isinstance(v, (bytes, bytearray)) and not (isinstance(t, ArrayType) and t.elem.size == 1
                                                  and len(v) != t.size):
        return unpack(t, bytes(v).ljust(t.size, b"\0"))
    if isinstance(t, ArrayType):
        if isinstance(v, (bytes, bytearray)):
            return unpack(t, bytes(v[:t.size]).ljust(t.size, b"\0"))
        out = zero(t)
        for i, x in enumerate(v):
            out[i] = from_user(t.elem, x)
        return out
    if isinstance(t, UnionType):                # the bytes of the user's union
        return unpack(t, pack(t, v))
    if isinstance(t, StructType):
        out = zero(t)
        for f in t.fields:
            if isinstance(v, dict):
                if f.name in v:
                    object.__setattr__(out, f.name, from_user(f.type, v[f.name]))
            elif hasattr(v, f.name) and not isinstance(f.type, OpaqueType):
                object.__setattr__(out, f.name, from_user(f.type, getattr(v, f.name)))
        return out
    return v
