"""Read an object's BTF into :mod:`ebpfpy.types` objects.

This is how ``ebpfpy.load(elf_bytes)`` learns map key/value types and global variables without
the compiler's metadata: typedefs and modifiers are resolved, enums become integers of their
size, ``struct bpf_timer`` / ``struct bpf_spin_lock`` become the opaque ``Timer`` / ``SpinLock``,
and every named struct gets a userspace class (:func:`ebpfpy.dsl.make_struct_class`).
The raw access is :class:`ebpfpy.btf_reader.BtfReader`, shared with the compiler.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dsl import make_struct_class, make_union_class
from ..types import (BOOL, SPINLOCK, TIMER, ArrayType, BpfType, FlexType, OpaqueType, StructType,
                     UnionType,
                     INT_TYPES, u8)
from .. import libbpf as L
from ..btf_reader import INT_BOOL, INT_SIGNED, BtfReader

_OPAQUE_STRUCTS = {"bpf_timer": TIMER, "bpf_spin_lock": SPINLOCK}
FLEX_ANY = 1 << 20          # a flexible array read from BTF: no capacity given, take all


def raw_bytes(size: int) -> BpfType:
    """The codec for a value without a usable type: ``bytes`` of ``size``."""
    return OpaqueType(f"bytes[{size}]", "", size, 1)


def int_of(size: int, signed: bool = False) -> BpfType:
    """``u8``..``i64`` for a size in bytes, else raw bytes."""
    if size in (1, 2, 4, 8):
        return INT_TYPES[("i" if signed else "u") + str(size * 8)]
    return raw_bytes(size)


@dataclass(frozen=True)
class GlobalVar:
    """A global variable inside a DATASEC map: its name, byte offset and type."""

    name: str
    offset: int
    type: BpfType


class BtfTypes:
    """Converts the types of one ``struct btf`` (owned by the open object) on demand."""

    def __init__(self, btf: Any, structs: dict[str, StructType] | None = None) -> None:
        self.btf = btf
        self.r = BtfReader(btf, L)
        self._raw, self.kind, self.resolve, self.find = \
            self.r.raw, self.r.kind, self.r.resolve, self.r.find
        # name -> StructType with a userspace class; seeded with compiler/user structs.
        self.structs: dict[str, StructType] = dict(structs or {})
        self._cache: dict[int, BpfType] = {}

    # ----------------------------------------------------------- conversion
    def type_of(self, tid: int) -> BpfType:
        """The :mod:`ebpfpy.types` object for BTF type ``tid``."""
        tid = self.resolve(tid)
        if tid not in self._cache:
            self._cache[tid] = self._convert(tid)
        return self._cache[tid]

    def _convert(self, tid: int) -> BpfType:
        if tid == 0:
            return raw_bytes(0)
        t, kind, vlen, kflag, name = self._raw(tid)
        if kind == L.BTF_KIND_INT:
            enc = self.r.int_encoding(t)
            if enc & INT_BOOL:
                return BOOL
            return int_of(t.size_or_type, bool(enc & INT_SIGNED))
        if kind in (L.BTF_KIND_ENUM, L.BTF_KIND_ENUM64):
            return int_of(t.size_or_type, kflag)      # kflag: signed enum (newer BTF)
        if kind == L.BTF_KIND_PTR:
            return int_of(8)
        if kind == L.BTF_KIND_ARRAY:
            arr = self.r.array(t)
            elem = self.type_of(arr.type)
            if arr.nelems == 0 or elem.size == 0:
                return raw_bytes(0)
            return ArrayType(elem, arr.nelems)
        if kind == L.BTF_KIND_STRUCT:
            if name in _OPAQUE_STRUCTS:
                return _OPAQUE_STRUCTS[name]
            return self._struct(tid, t, vlen, kflag, name)
        if kind == L.BTF_KIND_UNION:
            return self._union(tid, t, vlen, kflag, name)
        return raw_bytes(t.size_or_type if kind == L.BTF_KIND_FLOAT else 0)

    def _flex(self, tid: int) -> FlexType | None:
        """A struct's last member ``T items[]`` (BTF: an array of 0): its BTF does not give
        the program's capacity, so userspace takes as many items as a record brings."""
        t, kind, _, _, _ = self._raw(self.resolve(tid))
        if kind != L.BTF_KIND_ARRAY:
            return None
        arr = self.r.array(t)
        elem = self.type_of(arr.type)
        return FlexType(elem, FLEX_ANY) if arr.nelems == 0 and elem.size else None

    def _union(self, tid: int, t: Any, vlen: int, kflag: bool, name: str) -> BpfType:
        """A union whose members all start at offset 0 with a name (else opaque bytes)."""
        if name and name in self.structs:
            return self.structs[name]
        members = self.r.members(t)
        fields: list[tuple[str, BpfType]] = []
        for i in range(vlen):
            m = members[i]
            fname = self.r.name(m.name_off)
            if m.offset != 0 or not fname:
                return raw_bytes(t.size_or_type)
            fields.append((fname, self.type_of(m.type)))
        ut = UnionType(name or f"anon{tid}", fields)
        if ut.size != t.size_or_type:
            return raw_bytes(t.size_or_type)
        make_union_class(ut)
        if name:
            self.structs[name] = ut
        return ut

    def _struct(self, tid: int, t: Any, vlen: int, kflag: bool, name: str) -> BpfType:
        if name and name in self.structs:
            return self.structs[name]
        members = self.r.members(t)
        fields: list[tuple[str, BpfType]] = []
        want: dict[str, int] = {}
        off = 0
        for i in range(vlen):
            m = members[i]
            bit_off = m.offset & 0xFFFFFF if kflag else m.offset
            fname = self.r.name(m.name_off)
            if (kflag and m.offset >> 24) or bit_off % 8 or not fname:
                return raw_bytes(t.size_or_type)      # bitfields / anonymous members: opaque
            flex = self._flex(m.type) if i == vlen - 1 else None
            ftype: BpfType = flex if flex is not None else self.type_of(m.type)
            byte_off = bit_off // 8
            if byte_off != _aligned(off, ftype.align):  # packed or padded: keep BTF's layout
                if byte_off < off:
                    return raw_bytes(t.size_or_type)
                fields.append((f"_pad{off}", ArrayType(u8, byte_off - off)))
            fields.append((fname, ftype))
            want[fname] = byte_off
            off = byte_off + ftype.size
        st = StructType(name or f"anon{tid}", fields)
        if st.flex is not None:
            if st.c_size != t.size_or_type or any(st.by_name[n].offset != o for n, o in want.items()):
                return raw_bytes(t.size_or_type)
            make_struct_class(st)
            if name:
                self.structs[name] = st
            return st
        if st.size < t.size_or_type:
            fields.append((f"_pad{off}", ArrayType(u8, t.size_or_type - off)))
            st = StructType(st.name, fields)
        if st.size != t.size_or_type or any(st.by_name[n].offset != o for n, o in want.items()):
            return raw_bytes(t.size_or_type)        # a layout natural alignment cannot express
        make_struct_class(st)
        if name:
            self.structs[name] = st
        return st

    def carried_types(self) -> dict[str, BpfType]:
        """Types the compiler names in its ``__ebpfpy_types_N`` functions' parameters:
        ``event__<map>`` (a ring buffer's record type) and ``struct__<name>``."""
        out: dict[str, BpfType] = {}
        for n in range(64):
            fid = self.find(f"__ebpfpy_types_{n}", L.BTF_KIND_FUNC)
            if not fid:
                break
            proto, kind, vlen, _, _ = self._raw(self._raw(fid)[0].size_or_type)
            if kind != L.BTF_KIND_FUNC_PROTO:
                continue
            params = self.r.params(proto)
            for i in range(vlen):
                pname = self.r.name(params[i].name_off)
                ptr, pkind, _, _, _ = self._raw(self.resolve(params[i].type))
                if pkind == L.BTF_KIND_PTR:
                    out[pname] = self.type_of(ptr.size_or_type)
        return out

    def datasec(self, tid: int) -> list[GlobalVar]:
        """The variables of DATASEC ``tid`` (a ``.bss``/``.data``/``.rodata`` map's value)."""
        t, kind, vlen, _, _ = self._raw(tid)
        if kind != L.BTF_KIND_DATASEC:
            return []
        out = []
        infos = self.r.var_secinfos(t)
        for i in range(vlen):
            vt, vkind, _, _, vname = self._raw(infos[i].type)
            if vkind != L.BTF_KIND_VAR:
                continue
            out.append(GlobalVar(vname, infos[i].offset, self.type_of(vt.size_or_type)))
        return out


def _aligned(off: int, align: int) -> int:
    return (off + align - 1) // align * align


def bind_classes(structs: dict[str, StructType],
                 user_classes: dict[str, type] | None = None) -> dict[str, StructType]:
    """Struct types that decode into classes: the user's class of that name, else a new one.

    The compiler's ``StructType`` objects are not modified; nested struct fields are re-bound
    too, so a decoded value is made of classes all the way down.
    """
    user = {n: getattr(c, "__bpf_type__") for n, c in (user_classes or {}).items()
            if isinstance(getattr(c, "__bpf_type__", None), StructType)}
    out: dict[str, StructType] = {}

    def bind(t: BpfType) -> BpfType:
        if isinstance(t, ArrayType):
            return type(t)(bind(t.elem), t.length)          # an ArrayType or a FlexType
        if not isinstance(t, StructType):
            return t
        if t.name not in out:
            if t.name in user and user[t.name] == t:
                out[t.name] = user[t.name]
            else:
                members = [(f.name, bind(f.type)) for f in t.fields]
                if isinstance(t, UnionType):
                    ut = UnionType(t.name, members)
                    make_union_class(ut)
                    out[t.name] = ut
                else:
                    st = StructType(t.name, members)
                    make_struct_class(st)
                    out[t.name] = st
        return out[t.name]

    for st in structs.values():
        bind(st)
    return out


def rebind(t: BpfType | None, classes: dict[str, StructType]) -> BpfType | None:
    """``t`` with every struct replaced by the class-bound type of the same name."""
    if isinstance(t, ArrayType):
        return type(t)(rebind(t.elem, classes), t.length)  # type: ignore[arg-type]
    if isinstance(t, StructType):
        return classes.get(t.name) or bind_classes({t.name: t})[t.name]
    return t
