"""Parse ``.BTF.ext``: function info and line info, per code section.

Layout (kernel Documentation/bpf/btf.rst and libbpf's ``btf_ext_header``):

    u16 magic (0xeB9F), u8 version, u8 flags, u32 hdr_len,
    u32 func_info_off, u32 func_info_len, u32 line_info_off, u32 line_info_len, [core_relo...]

Offsets count from the end of the header.  Each info block is ``u32 rec_size`` followed by, per
section, ``u32 sec_name_off, u32 num_info`` and the records.  In an object file ``insn_off`` is
in *bytes* (libbpf turns it into an instruction index when loading); string offsets point into
the ``.BTF`` string section; ``line_col`` is ``line << 10 | column``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

from .btf import BTF_MAGIC, Btf


@dataclass(frozen=True)
class FuncInfo:
    """A function start: byte offset in its section and the BTF ``FUNC`` type id."""

    insn_off: int
    type_id: int
    name: str


@dataclass(frozen=True)
class LineInfo:
    """The source position of the instructions from ``insn_off`` (bytes) onwards."""

    insn_off: int
    file_name: str
    line_text: str
    line: int
    col: int


@dataclass
class BtfExt:
    """Function and line info, keyed by section name, each list sorted by offset."""

    func_info: dict[str, list[FuncInfo]]
    line_info: dict[str, list[LineInfo]]


def _blocks(data: bytes, start: int, length: int, btf: Btf) -> Iterator[tuple[str, list[bytes]]]:
    """Yield (section name, record bytes list) from one info block."""
    if length == 0:
        return
    end = start + length
    (rec_size,) = struct.unpack_from("<I", data, start)
    pos = start + 4
    while pos + 8 <= end:
        sec_off, num = struct.unpack_from("<II", data, pos)
        pos += 8
        recs = [data[pos + i * rec_size: pos + (i + 1) * rec_size] for i in range(num)]
        pos += num * rec_size
        yield btf.string(sec_off), recs


def parse_btf_ext(data: bytes, btf: Btf) -> BtfExt:
    """Decode ``.BTF.ext`` bytes; ``btf`` supplies the string table and FUNC names."""
    if len(data) < 8:
        raise ValueError(".BTF.ext section too short")
    magic, _version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
    if magic != BTF_MAGIC:
        raise ValueError(f".BTF.ext has bad magic {magic:#x}")
    fi_off, fi_len, li_off, li_len = struct.unpack_from("<IIII", data, 8)
    funcs: dict[str, list[FuncInfo]] = {}
    for sec, recs in _blocks(data, hdr_len + fi_off, fi_len, btf):
        out = funcs.setdefault(sec, [])
        for r in recs:
            off, tid = struct.unpack_from("<II", r)
            t = btf.type(tid)
            out.append(FuncInfo(off, tid, t.name if t else ""))
    lines: dict[str, list[LineInfo]] = {}
    for sec, recs in _blocks(data, hdr_len + li_off, li_len, btf):
        out_l = lines.setdefault(sec, [])
        for r in recs:
            off, file_off, line_off, line_col = struct.unpack_from("<IIII", r)
            out_l.append(LineInfo(off, btf.string(file_off), btf.string(line_off),
                                  line_col >> 10, line_col & 0x3FF))
    for fl in funcs.values():
        fl.sort(key=lambda x: x.insn_off)
    for ll in lines.values():
        ll.sort(key=lambda x: x.insn_off)
    return BtfExt(funcs, lines)
