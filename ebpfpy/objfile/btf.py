"""A small reader for the ``.BTF`` section: header, string table and type names.

Only what the tools need: strings (line info points into them), and each type's kind, name
and referenced type, enough to name functions and describe BTF-defined maps.  Layout from the
kernel's Documentation/bpf/btf.rst.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

BTF_MAGIC = 0xEB9F

KINDS = ("UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
         "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG",
         "TYPE_TAG", "ENUM64")


@dataclass
class BtfType:
    """One type record: ``members`` for struct/union/datasec as (name, type id, offset)."""

    id: int
    kind: str
    name: str
    size_or_type: int                  # size for INT/STRUCT/..., referenced type id otherwise
    vlen: int
    members: list[tuple[str, int, int]] = field(default_factory=list)
    array: tuple[int, int] | None = None   # (element type id, number of elements)


def _trailer_size(kind: str, vlen: int) -> int:
    """Bytes following the 12-byte common header, per kind."""
    return {"INT": 4, "ARRAY": 12, "STRUCT": 12 * vlen, "UNION": 12 * vlen, "ENUM": 8 * vlen,
            "FUNC_PROTO": 8 * vlen, "VAR": 4, "DATASEC": 12 * vlen, "DECL_TAG": 4,
            "ENUM64": 12 * vlen}.get(kind, 0)


class Btf:
    """Parsed ``.BTF``: ``strings`` lookups by offset and ``types`` by id (id 0 is void)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 24:
            raise ValueError(".BTF section too short")
        magic, version, flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
        if magic != BTF_MAGIC:
            raise ValueError(f".BTF has bad magic {magic:#x}")
        type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
        self.version, self.flags = version, flags
        self._strings = data[hdr_len + str_off: hdr_len + str_off + str_len]
        self.types: list[BtfType | None] = [None]
        self._parse_types(data[hdr_len + type_off: hdr_len + type_off + type_len])

    def string(self, offset: int) -> str:
        """The NUL-terminated string at ``offset`` in the string section."""
        if not 0 <= offset < len(self._strings):
            raise ValueError(f"BTF string offset {offset} out of range")
        end = self._strings.find(b"\0", offset)
        return self._strings[offset: end if end >= 0 else None].decode("utf-8", "replace")

    def _parse_types(self, blob: bytes) -> None:
        pos = 0
        while pos + 12 <= len(blob):
            name_off, info, size_or_type = struct.unpack_from("<III", blob, pos)
            kind_no, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            kind = KINDS[kind_no] if kind_no < len(KINDS) else f"KIND{kind_no}"
            t = BtfType(len(self.types), kind, self.string(name_off), size_or_type, vlen)
            body = pos + 12
            if kind in ("STRUCT", "UNION", "DATASEC"):
                for i in range(vlen):
                    a, b, c = struct.unpack_from("<III", blob, body + 12 * i)
                    # struct members: (name, type, bit offset); datasec: (var type, offset, size)
                    t.members.append((self.string(a), b, c) if kind != "DATASEC" else ("", a, b))
            elif kind == "ARRAY":
                elem, _index, nelems = struct.unpack_from("<III", blob, body)
                t.array = (elem, nelems)
            self.types.append(t)
            pos = body + _trailer_size(kind, vlen)

    def type(self, type_id: int) -> BtfType | None:
        """The type with this id; None for void (0) or an id past the end."""
        return self.types[type_id] if 0 < type_id < len(self.types) else None

    def resolve(self, type_id: int) -> BtfType | None:
        """Skip typedefs and qualifiers (const, volatile, restrict, type tags)."""
        t = self.type(type_id)
        while t is not None and t.kind in ("TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "TYPE_TAG"):
            t = self.type(t.size_or_type)
        return t

    def find(self, kind: str, name: str) -> BtfType | None:
        """The first type of ``kind`` called ``name``."""
        return next((t for t in self.types[1:] if t and t.kind == kind and t.name == name), None)

    def map_definition(self, name: str) -> dict[str, int | str]:
        """Decode the BTF-defined map ``name`` (``__uint(type, ...)`` style members).

        Integer members (``type``, ``max_entries``, ``key_size``, ...) are encoded as pointers to
        arrays whose length is the value; ``key``/``value`` are pointers to the types.
        """
        var = self.find("VAR", name)
        st = self.resolve(var.size_or_type) if var else None
        out: dict[str, int | str] = {}
        for mname, mtype, _ in (st.members if st else []):
            ptr = self.resolve(mtype)
            target = self.resolve(ptr.size_or_type) if ptr and ptr.kind == "PTR" else None
            if target is not None and target.kind == "ARRAY" and mname not in ("key", "value"):
                out[mname] = target.array[1] if target.array else 0
            elif ptr is not None and ptr.kind == "PTR":
                out[mname] = self.type_name(ptr.size_or_type)
        return out

    def type_name(self, type_id: int) -> str:
        """A short C-like name for a type: ``u32``, ``struct P``, ``u8[16]``."""
        t = self.type(type_id)
        if t is None:
            return "void"
        if t.kind in ("STRUCT", "UNION"):
            return f"{t.kind.lower()} {t.name or '(anon)'}"
        if t.kind == "ARRAY" and t.array:
            return f"{self.type_name(t.array[0])}[{t.array[1]}]"
        if t.kind == "PTR":
            return self.type_name(t.size_or_type) + " *"
        if t.kind in ("VOLATILE", "CONST", "RESTRICT", "TYPE_TAG") or (t.kind == "TYPEDEF" and not t.name):
            return self.type_name(t.size_or_type)
        return t.name or t.kind.lower()
