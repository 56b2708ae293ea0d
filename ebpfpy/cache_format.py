"""The bytes of one compile-cache entry: a ``CompiledModule`` as data, never as code.

An entry is ``MAGIC``, the sha256 of the rest, the length of a JSON header (4 bytes, little
endian), the header, then the ELF bytes.  The header holds the cache key (an entry copied or
linked under another key's name is refused), the file name and source, and the metadata the
loader needs, with types written as plain values::

    "u32" | "bool" | "Timer" | "SpinLock"      a scalar type, by name (also "RbNode", "ListNode",
                                               "Refcount")
    {"array": T, "length": N}                  T[N]
    {"flex": T, "length": N}                   Flex[T, N] (a struct's last field)
    {"struct": NAME}                           a struct of the "structs" table (defined earlier)
    {"kptr": NAME}                             Kptr[NAME]
    {"percpu_kptr": NAME}                      PerCpuKptr[NAME]
    {"root": "rb" | "list", "of": NAME, "node": FIELD}    RbRoot[NAME, FIELD] / ListHead[...]

:func:`unpack` validates everything it reads and rebuilds the same objects the compiler made
(the integer singletons, one ``StructType`` per struct shared by every use); anything
unexpected raises ``ValueError``, which the cache treats as a miss.  Nothing is executed:
there is no pickle, eval or import driven by the entry's contents.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from .compiled import CompiledModule
from .model.report import Report, ReportRow
from .map_kinds import MapKind
from .types import (BOOL, INT_TYPES, LISTNODE, RBNODE, REFCOUNT, SPINLOCK, TIMER, ArrayType, BpfType,
                    FlexType, GraphRootType, KptrType, MapType, PerCpuKptrType, StructType,
                    UnionType)

MAGIC = b"ebpfpy-cache-7\n"      # 3: "chains"; 4: unions; 5: Kptr, tree and list types; 6: Flex;
#                                   7: PerCpuKptr
_DIGEST = 32                                  # sha256 of everything after it
_LEN = 4                                      # the header's length
_SCALARS: dict[str, BpfType] = {**INT_TYPES, "bool": BOOL, "Timer": TIMER, "SpinLock": SPINLOCK,
                                "RbNode": RBNODE, "ListNode": LISTNODE, "Refcount": REFCOUNT}
_MAX_LENGTH = 1 << 31                         # far above any array the frontend accepts
_MAX_COST = 1 << 62                           # far above any cost estimate
_ROW_FIELDS = frozenset(f.name for f in dataclasses.fields(ReportRow))


def pack(key: str, mod: CompiledModule) -> bytes:
    """The entry for ``mod`` under ``key``; ``ValueError`` if it holds a type with no encoding."""
    structs = dict(mod.structs)
    header = {
        "key": key, "filename": mod.filename, "source": mod.source,
        "structs": [[name, [[f.name, _enc(f.type, structs)] for f in st.fields]]
                    + ([True] if isinstance(st, UnionType) else [])
                    for name, st in structs.items()],
        "maps": {n: {"kind": m.kind.dsl_name, "key": _enc(m.key, structs), "value": _enc(m.value, structs),
                     "max_entries": m.max_entries} for n, m in mod.maps.items() if not m.extra},
        "programs": dict(mod.programs),
        "events": {n: _enc(t, structs) for n, t in mod.events.items()},
        "report": [dataclasses.asdict(r) for r in mod.report.rows],
        "chains": dict(mod.chains),
    }
    if len(header["maps"]) != len(mod.maps):
        raise ValueError("a map type with extra options has no encoding")
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    body = len(text).to_bytes(_LEN, "little") + text + mod.elf
    return MAGIC + hashlib.sha256(body).digest() + body


def unpack(key: str, blob: bytes) -> CompiledModule:
    """The module stored in ``blob`` under ``key``; ``ValueError`` for anything else."""
    head = len(MAGIC) + _DIGEST
    body = blob[head:]
    if blob[:len(MAGIC)] != MAGIC or blob[len(MAGIC):head] != hashlib.sha256(body).digest():
        raise ValueError("not an intact cache entry")
    n = int.from_bytes(body[:_LEN], "little")
    if len(body) < _LEN + n:
        raise ValueError("truncated header")
    h = json.loads(body[_LEN:_LEN + n].decode("utf-8"))
    elf = bytes(body[_LEN + n:])
    _expect(isinstance(h, dict) and h.get("key") == key, "entry of another key")
    _expect(elf[:4] == b"\x7fELF", "no ELF")
    structs: dict[str, StructType] = {}
    for item in _list(h.get("structs")):
        is_union = isinstance(item, list) and len(item) == 3 and item[2] is True
        name, fields = _list(item[:2] if is_union else item, 2)
        _expect(isinstance(name, str) and name not in structs, "bad struct name")
        members = [(_str(fname), _dec(t, structs)) for fname, t in (_list(f, 2) for f in _list(fields))]
        _expect(len({m for m, _ in members}) == len(members), "duplicate field")
        kind = UnionType if is_union else StructType
        structs[name] = kind(name, [(m, _nonnull(t)) for m, t in members])
    return CompiledModule(
        elf=elf, filename=_str(h.get("filename")), source=_str(h.get("source")),
        structs=structs,
        maps={_str(n): _map(m, structs) for n, m in _dict(h.get("maps")).items()},
        programs={_str(n): _str(s) for n, s in _dict(h.get("programs")).items()},
        events={_str(n): _dec(t, structs) for n, t in _dict(h.get("events")).items()},
        report=_report(h.get("report")),
        chains={_str(n): [_str(p) for p in _list(parts)] for n, parts in _dict(h.get("chains")).items()})


def _enc(t: BpfType | None, structs: dict[str, StructType]) -> Any:
    if t is None:
        return None
    if isinstance(t, FlexType):
        return {"flex": _enc(t.elem, structs), "length": t.length}
    if isinstance(t, ArrayType):
        return {"array": _enc(t.elem, structs), "length": t.length}
    if isinstance(t, StructType):
        if structs.get(t.name) != t:
            raise ValueError(f"struct {t.name} is not in the module's struct table")
        return {"struct": t.name}
    if isinstance(t, KptrType):
        return {"percpu_kptr" if t.percpu else "kptr": _enc(t.target, structs)["struct"]}
    if isinstance(t, GraphRootType):
        return {"root": t.kind, "of": _enc(t.target, structs)["struct"], "node": t.node}
    name = repr(t)
    if _SCALARS.get(name) is not t:
        raise ValueError(f"type {t!r} has no encoding")
    return name


def _dec(x: Any, structs: dict[str, StructType]) -> BpfType | None:
    if x is None:
        return None
    if isinstance(x, str):
        _expect(x in _SCALARS, "unknown type")
        return _SCALARS[x]
    d = _dict(x)
    if set(d) == {"array", "length"}:
        return ArrayType(_nonnull(_dec(d["array"], structs)), _int(d["length"], 1, _MAX_LENGTH))
    if set(d) == {"flex", "length"}:
        return FlexType(_nonnull(_dec(d["flex"], structs)), _int(d["length"], 1, _MAX_LENGTH))
    if set(d) == {"kptr"}:
        _expect(isinstance(d["kptr"], str) and d["kptr"] in structs, "unknown struct")
        return KptrType(structs[d["kptr"]])
    if set(d) == {"percpu_kptr"}:
        _expect(isinstance(d["percpu_kptr"], str) and d["percpu_kptr"] in structs,
                "unknown struct")
        return PerCpuKptrType(structs[d["percpu_kptr"]])
    if set(d) == {"root", "of", "node"}:
        _expect(d["root"] in ("rb", "list") and isinstance(d["of"], str) and d["of"] in structs
                and isinstance(d["node"], str), "bad root")
        st = structs[d["of"]]
        node = st.by_name.get(d["node"])
        _expect(node is not None and node.type is (RBNODE if d["root"] == "rb" else LISTNODE),
                "bad root")
        return GraphRootType(d["root"], st, d["node"])
    _expect(set(d) == {"struct"} and d["struct"] in structs, "unknown struct")
    return structs[d["struct"]]


def _map(x: Any, structs: dict[str, StructType]) -> MapType:
    d = _dict(x)
    _expect(set(d) == {"kind", "key", "value", "max_entries"}, "bad map")
    return MapType(_map_kind(d["kind"]), _dec(d["key"], structs), _dec(d["value"], structs),
                   _int(d["max_entries"], 1, _MAX_LENGTH))


def _map_kind(x: Any) -> MapKind:
    kind = MapKind.named(x) if isinstance(x, str) else None
    if kind is None:
        raise ValueError("malformed cache entry: unknown map kind")
    return kind


def _report(x: Any) -> Report:
    """``frontend.split``'s report: one flat object per ``ReportRow``."""
    if x is None:
        return Report()
    rows = []
    for r in _list(x):
        d = _dict(r)
        _expect(set(d) == _ROW_FIELDS, "bad report row")
        stack = None if d["stack"] is None else _int(d["stack"], 0, _MAX_LENGTH)
        rows.append(ReportRow(name=_str(d["name"]), section=_str(d["section"]),
                              est_cost=_int(d["est_cost"], 0, _MAX_COST), stack=stack,
                              split=_str(d["split"])))
    return Report(rows)


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"malformed cache entry: {what}")


def _str(x: Any) -> str:
    _expect(isinstance(x, str), "expected a string")
    return x


def _int(x: Any, lo: int, hi: int) -> int:
    _expect(isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi, "bad integer")
    return x


def _list(x: Any, n: int | None = None) -> list[Any]:
    _expect(isinstance(x, list) and (n is None or len(x) == n), "expected a list")
    return x


def _dict(x: Any) -> dict[str, Any]:
    _expect(isinstance(x, dict), "expected an object")
    return x


def _nonnull(t: BpfType | None) -> BpfType:
    _expect(t is not None, "missing type")
    assert t is not None
    return t
