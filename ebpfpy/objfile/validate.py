"""Check a BPF object before libbpf parses it: libbpf 1.1 trusts much of what it reads.

``bpf_object__open_mem`` in libbpf 1.1.2 follows type ids, string offsets, symbol and section
indices and relocation offsets from the file without checking all of them (BTF type checks
came in 1.3), so a few corrupted bytes can crash the interpreter.  :func:`validate_object`
checks every one of those before the object reaches libbpf -- ELF header and section table,
section contents inside the file, symbol table and string indices, relocations, ``.BTF`` (each
type's size, string offsets, referenced ids, no by-value cycles), ``.BTF.ext`` records, and the
``.maps`` section against its BTF -- and raises :class:`InvalidObjectError` naming what is
wrong.  It accepts what clang and ebpfpy produce.  Layouts: the ELF-64 gABI, the kernel's
Documentation/bpf/btf.rst and libbpf's ``btf_ext_header``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NoReturn

from ..errors import LoadError

EM_BPF = 247
ET_REL = 1
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 0, 1, 2, 3, 4, 8, 9
SHT_NOTE = 7
SHF_EXECINSTR, SHF_COMPRESSED = 0x4, 0x800
_LLVM_TYPES = range(0x6FFF4C00, 0x6FFF4D00)      # SHT_LLVM_ADDRSIG and friends
SHN_LORESERVE, SHN_ABS, SHN_COMMON, SHN_XINDEX = 0xFF00, 0xFFF1, 0xFFF2, 0xFFFF
STT_SECTION, STT_FUNC = 3, 2
BTF_MAGIC = 0xEB9F
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_REL = struct.Struct("<QQ")
MAX_KIND = 19                 # BTF_KIND_ENUM64
_MODIFIERS = {8, 9, 10, 11, 18}   # typedef, volatile, const, restrict, type_tag


class InvalidObjectError(LoadError, ValueError):
    """The bytes are not a valid BPF object; ``str()`` starts 'not a valid BPF object'."""

    def __init__(self, why: str) -> None:
        super().__init__(f"not a valid BPF object: {why}")
        self.why = why


@dataclass(frozen=True)
class _Section:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int

    def data(self, elf: bytes) -> bytes:
        return b"" if self.type == SHT_NOBITS else elf[self.offset:self.offset + self.size]


def validate_object(data: bytes) -> None:
    """Raise :class:`InvalidObjectError` unless ``data`` is a BPF ELF libbpf can parse safely."""
    data = bytes(data)
    sections = _sections(data)
    by_name = {s.name: s for s in sections}
    symbols = _symbols(data, sections)
    _relocations(data, sections, symbols)
    _code(sections, symbols)
    btf = by_name.get(".BTF")
    types = strings = None
    if btf is not None:
        types, strings = _btf(btf.data(data))
        ext = by_name.get(".BTF.ext")
        if ext is not None:
            _btf_ext(ext.data(data), types, strings, by_name)
        _datasecs(types, by_name)
    maps = by_name.get(".maps")
    if maps is not None:
        if types is None or strings is None:
            raise InvalidObjectError("a .maps section needs .BTF")
        _maps_section(maps, symbols, types, strings)


def _fail(why: str) -> NoReturn:
    raise InvalidObjectError(why)


# ------------------------------------------------------------------------------- ELF
def _sections(data: bytes) -> list[_Section]:
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        _fail("no ELF header")
    (ident, etype, machine, version, _entry, phoff, shoff, _flags, ehsize, _phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    if ident[4] != 2 or ident[5] != 1:
        _fail("not a 64-bit little-endian ELF")
    if machine != EM_BPF:
        _fail(f"machine {machine} is not EM_BPF ({EM_BPF})")
    if etype != ET_REL:
        _fail(f"ELF type {etype} is not a relocatable object (ET_REL)")
    if ehsize != _EHDR.size or shentsize != _SHDR.size or version != 1 or ident[6] != 1:
        _fail("ELF header sizes or version are wrong")
    if shnum == 0 or shnum >= SHN_LORESERVE or shstrndx >= shnum:
        _fail(f"section count {shnum} or string table index {shstrndx} is out of range")
    if shoff < _EHDR.size or shoff + shnum * _SHDR.size > len(data):
        _fail("the section header table lies outside the file")
    raw = [_SHDR.unpack_from(data, shoff + i * _SHDR.size) for i in range(shnum)]
    for i, (_n, stype, flags, _a, off, size, link, _info, align, _e) in enumerate(raw):
        if stype not in (SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE, SHT_NOBITS,
                         SHT_REL, SHT_RELA) and stype not in _LLVM_TYPES:
            _fail(f"section {i} has type {stype:#x}, which BPF objects do not use")
        if flags & SHF_COMPRESSED:
            _fail(f"section {i} is compressed (SHF_COMPRESSED), which libbpf cannot read")
        if stype != SHT_NOBITS and (off > len(data) or size > len(data) - off):
            _fail(f"section {i} (offset {off}, size {size}) lies outside the file")
        if link >= shnum:
            _fail(f"section {i} links to section {link} of {shnum}")
        if align & (align - 1):
            _fail(f"section {i} alignment {align} is not a power of two")
    shstr = raw[shstrndx]
    if shstr[1] != SHT_STRTAB:
        _fail("the section name table is not a string table")
    names = data[shstr[4]:shstr[4] + shstr[5]]
    out = []
    for i, (name_off, stype, flags, _a, off, size, link, info, _al, entsize) in enumerate(raw):
        out.append(_Section(i, _string(names, name_off, f"section {i} name"), stype, flags, off,
                            size, link, info, entsize))
    seen: set[str] = set()
    for sec in out[1:]:
        if sec.name in seen:
            _fail(f"two sections are called {sec.name!r}")
        seen.add(sec.name)
    return out


def _string(table: bytes, off: int, what: str) -> str:
    if off >= len(table) or table.find(b"\0", off) < 0:
        _fail(f"{what}: string offset {off} is outside its table ({len(table)} bytes)")
    return table[off:table.index(b"\0", off)].decode("utf-8", "replace")


@dataclass(frozen=True)
class _Symbol:
    name: str
    type: int
    shndx: int
    value: int
    size: int


def _symbols(data: bytes, sections: list[_Section]) -> list[_Symbol]:
    tabs = [s for s in sections if s.type == SHT_SYMTAB]
    if len(tabs) != 1:
        _fail(f"{len(tabs)} symbol tables (one expected)")
    tab = tabs[0]
    if tab.name != ".symtab":
        _fail(f"the symbol table is called {tab.name!r}, not '.symtab'")
    if tab.entsize != _SYM.size or tab.size % _SYM.size or tab.size == 0:
        _fail("the symbol table's entry size or size is wrong")
    strtab = sections[tab.link]
    if strtab.type != SHT_STRTAB:
        _fail("the symbol table does not link to a string table")
    names, raw = strtab.data(data), tab.data(data)
    out = []
    for i in range(tab.size // _SYM.size):
        name_off, info, _other, shndx, value, size = _SYM.unpack_from(raw, i * _SYM.size)
        name = _string(names, name_off, f"symbol {i} name")
        if info & 0xF > 4 or info >> 4 > 2:
            _fail(f"symbol {i} ({name!r}) has unknown type or binding ({info:#x})")
        if len(sections) <= shndx and shndx not in (SHN_ABS, SHN_COMMON):
            _fail(f"symbol {i} ({name!r}) is in section {shndx} of {len(sections)}")
        if 0 < shndx < SHN_LORESERVE:
            sec = sections[shndx]
            if sec.type == SHT_NULL:
                _fail(f"symbol {i} ({name!r}) is in the null section")
            if (value > sec.size or size > sec.size - value) and info & 0xF != STT_SECTION:
                _fail(f"symbol {i} ({name!r}: {value}+{size}) lies outside section "
                      f"{sec.name!r} ({sec.size} bytes)")
        out.append(_Symbol(name, info & 0xF, shndx, value, size))
    return out


def _relocations(data: bytes, sections: list[_Section], symbols: list[_Symbol]) -> None:
    for sec in sections:
        if sec.type == SHT_RELA:
            _fail(f"section {sec.name!r}: RELA relocations are not used by BPF objects")
        if sec.type != SHT_REL:
            continue
        if sec.entsize != _REL.size or sec.size % _REL.size:
            _fail(f"section {sec.name!r}: relocation entry size is wrong")
        if sections[sec.link].type != SHT_SYMTAB:
            _fail(f"section {sec.name!r} does not link to the symbol table")
        if not 0 < sec.info < len(sections):
            _fail(f"section {sec.name!r} relocates section {sec.info} of {len(sections)}")
        target = sections[sec.info]
        raw = sec.data(data)
        for k in range(sec.size // _REL.size):
            off, info = _REL.unpack_from(raw, k * _REL.size)
            sym, rtype = info >> 32, info & 0xFFFFFFFF
            if not 0 < sym < len(symbols):
                _fail(f"{sec.name} entry {k} names symbol {sym} of {len(symbols)}")
            if rtype > 10:
                _fail(f"{sec.name} entry {k} has unknown relocation type {rtype}")
            if off >= target.size or target.size - off < 4:
                _fail(f"{sec.name} entry {k} (offset {off}) lies outside {target.name!r} "
                      f"({target.size} bytes)")
            if target.flags & SHF_EXECINSTR and (off % 8 or off + 8 > target.size or (
                    data[target.offset + off] == 0x18 and off + 16 > target.size)):
                _fail(f"{sec.name} entry {k}: offset {off} is not a whole instruction of "
                      f"{target.name!r}")


def _code(sections: list[_Section], symbols: list[_Symbol]) -> None:
    for sec in sections:
        if sec.flags & SHF_EXECINSTR and sec.type != SHT_NOBITS and sec.size % 8:
            _fail(f"code section {sec.name!r} is {sec.size} bytes, not whole instructions")
    for s in symbols:
        if s.type == STT_FUNC and 0 < s.shndx < SHN_LORESERVE and \
                sections[s.shndx].flags & SHF_EXECINSTR and (s.value % 8 or s.size % 8):
            _fail(f"function {s.name!r} ({s.value}+{s.size}) is not on instruction boundaries")


# ------------------------------------------------------------------------------- BTF
@dataclass(frozen=True)
class BtfRecord:
    """One BTF type as the checks need it."""

    kind: int
    name: str
    vlen: int
    size_or_type: int
    refs: tuple[int, ...]          # every referenced type id
    by_value: tuple[int, ...]      # the ones that are part of this type (cycles are errors)
    members: tuple[tuple[int, int, int], ...]   # datasec (type, offset, size); struct members


def _trailer(kind: int, vlen: int) -> int:
    return {1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen, 14: 4,
            15: 12 * vlen, 17: 4, 19: 12 * vlen}.get(kind, 0)


def _btf(data: bytes) -> tuple[list[BtfRecord | None], bytes]:
    if len(data) < 24:
        _fail(".BTF is shorter than its header")
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data)
    if magic != BTF_MAGIC or version != 1:
        _fail(f".BTF magic {magic:#x} / version {version} is wrong")
    if hdr_len < 24 or hdr_len > len(data) or hdr_len % 4:
        _fail(f".BTF header length {hdr_len} is wrong")
    type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
    body = len(data) - hdr_len
    if type_off % 4 or type_len % 4 or type_off + type_len > body or str_off + str_len > body:
        _fail(".BTF type or string section lies outside .BTF")
    if type_off < str_off < type_off + type_len or str_off < type_off < str_off + str_len:
        _fail(".BTF type and string sections overlap")
    strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
    if not strings or strings[0] != 0 or strings[-1] != 0:
        _fail(".BTF string section must start and end with a NUL")
    blob = data[hdr_len + type_off:hdr_len + type_off + type_len]
    types: list[BtfRecord | None] = [None]
    pos = 0
    while pos < len(blob):
        tid = len(types)
        if pos + 12 > len(blob):
            _fail(f".BTF type {tid} is cut off")
        name_off, info, size_or_type = struct.unpack_from("<III", blob, pos)
        kind, vlen, kflag = (info >> 24) & 0x1F, info & 0xFFFF, info >> 31
        if kind == 0 or kind > MAX_KIND or info & 0x60FF0000:
            _fail(f".BTF type {tid} has unknown kind {kind} or bad info {info:#x}")
        end = pos + 12 + _trailer(kind, vlen)
        if end > len(blob):
            _fail(f".BTF type {tid} runs past the type section")
        name = _string(strings, name_off, f".BTF type {tid} name")
        types.append(_record(blob, pos + 12, tid, kind, vlen, kflag, name, size_or_type, strings))
        pos = end
    for tid, t in enumerate(types):
        if t is None:
            continue
        for ref in t.refs:
            if ref >= len(types):
                _fail(f".BTF type {tid} refers to type {ref} of {len(types) - 1}")
        proto = types[t.size_or_type] if t.kind == 12 and t.size_or_type else None
        if t.kind == 12 and (proto is None or proto.kind != 13):
            _fail(f".BTF function {t.name!r} does not have a FUNC_PROTO type")
        if t.kind == 14 and not t.name:
            _fail(f".BTF variable {tid} has no name")
    _no_cycles(types)
    return types, strings


def _record(blob: bytes, body: int, tid: int, kind: int, vlen: int, kflag: int, name: str,
            size_or_type: int, strings: bytes) -> BtfRecord:
    refs: list[int] = []
    by_value: list[int] = []
    members: list[tuple[int, int, int]] = []
    if kind in (2, 8, 9, 10, 11, 12, 14, 17, 18):       # ptr, modifiers, func, var, decl_tag
        refs.append(size_or_type)
        if kind in (*_MODIFIERS, 14):
            by_value.append(size_or_type)
    elif kind == 3:                                     # array
        elem, index, _n = struct.unpack_from("<III", blob, body)
        refs += [elem, index]
        by_value.append(elem)
    elif kind in (4, 5):                                # struct, union
        for i in range(vlen):
            m_name, m_type, m_off = struct.unpack_from("<III", blob, body + 12 * i)
            _string(strings, m_name, f".BTF type {tid} member {i} name")
            refs.append(m_type)
            by_value.append(m_type)
            members.append((m_type, m_off, 0))
    elif kind in (6, 19):                               # enum, enum64
        step = 8 if kind == 6 else 12
        for i in range(vlen):
            (e_name,) = struct.unpack_from("<I", blob, body + step * i)
            _string(strings, e_name, f".BTF type {tid} enumerator {i} name")
    elif kind == 13:                                    # func_proto: return type, params
        refs.append(size_or_type)
        for i in range(vlen):
            p_name, p_type = struct.unpack_from("<II", blob, body + 8 * i)
            _string(strings, p_name, f".BTF type {tid} parameter {i} name")
            refs.append(p_type)
    elif kind == 15:                                    # datasec
        for i in range(vlen):
            v_type, v_off, v_size = struct.unpack_from("<III", blob, body + 12 * i)
            refs.append(v_type)
            members.append((v_type, v_off, v_size))
    elif kind == 1:                                     # int
        (enc,) = struct.unpack_from("<I", blob, body)
        bits, off = enc & 0xFF, (enc >> 16) & 0xFF
        if enc & 0xF000FF00 or bits > 128 or off + bits > 128 or \
                size_or_type not in (1, 2, 4, 8, 16):
            _fail(f".BTF int type {tid} has a bad encoding {enc:#x} or size {size_or_type}")
    return BtfRecord(kind, name, vlen, size_or_type, tuple(refs), tuple(by_value),
                     tuple(members))


def _no_cycles(types: list[BtfRecord | None]) -> None:
    """A type may not contain itself by value (typedef loops, a struct holding itself)."""
    state = [0] * len(types)                  # 0 new, 1 on the stack, 2 done
    for root in range(1, len(types)):
        if state[root]:
            continue
        stack = [(root, 0)]
        state[root] = 1
        while stack:
            tid, i = stack[-1]
            rec = types[tid]
            edges = rec.by_value if rec else ()
            if i == len(edges):
                state[tid] = 2
                stack.pop()
                continue
            stack[-1] = (tid, i + 1)
            nxt = edges[i]
            if nxt == 0 or state[nxt] == 2:
                continue
            if state[nxt] == 1:
                _fail(f".BTF type {nxt} contains itself")
            state[nxt] = 1
            stack.append((nxt, 0))


def _btf_ext(data: bytes, types: list[BtfRecord | None], strings: bytes,
             sections: dict[str, _Section]) -> None:
    if len(data) < 8:
        _fail(".BTF.ext is shorter than its header")
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data)
    if magic != BTF_MAGIC or version != 1:
        _fail(f".BTF.ext magic {magic:#x} / version {version} is wrong")
    if hdr_len < 24 or hdr_len > len(data) or hdr_len % 4:
        _fail(f".BTF.ext header length {hdr_len} is wrong")
    blocks = struct.unpack_from("<IIII", data, 8)
    core = struct.unpack_from("<II", data, 24) if hdr_len >= 32 else (0, 0)
    for what, (off, length), min_rec in (("func info", blocks[0:2], 8),
                                         ("line info", blocks[2:4], 16),
                                         ("CO-RE relocation", core, 16)):
        if length:
            _ext_block(data, hdr_len, off, length, min_rec, what, types, strings, sections)


def _ext_block(data: bytes, hdr_len: int, off: int, length: int, min_rec: int, what: str,
               types: list[BtfRecord | None], strings: bytes,
               sections: dict[str, _Section]) -> None:
    start = hdr_len + off
    if off % 4 or length % 4 or start + length > len(data) or length < 4:
        _fail(f".BTF.ext {what} lies outside .BTF.ext")
    end = start + length
    (rec_size,) = struct.unpack_from("<I", data, start)
    if rec_size < min_rec or rec_size % 4 or rec_size > 64:
        _fail(f".BTF.ext {what} record size {rec_size} is wrong")
    pos = start + 4
    while pos < end:
        if pos + 8 > end:
            _fail(f".BTF.ext {what} is cut off")
        sec_off, num = struct.unpack_from("<II", data, pos)
        sec_name = _string(strings, sec_off, f".BTF.ext {what} section name")
        sec = sections.get(sec_name)
        if sec is None or not sec.flags & SHF_EXECINSTR:
            _fail(f".BTF.ext {what} names {sec_name!r}, not a code section")
        pos += 8
        if num == 0 or num > (end - pos) // rec_size:
            _fail(f".BTF.ext {what} for {sec_name!r}: {num} records do not fit")
        for i in range(num):
            rec = data[pos + i * rec_size:pos + (i + 1) * rec_size]
            insn_off, a, b, c = struct.unpack_from("<IIII", rec.ljust(16, b"\0"))
            if insn_off % 8 or insn_off >= sec.size:
                _fail(f".BTF.ext {what} record {i} of {sec_name!r}: instruction offset "
                      f"{insn_off} is outside the section")
            if what == "func info":
                if not 0 < a < len(types) or types[a].kind != 12:
                    _fail(f".BTF.ext func info record {i}: type {a} is not a FUNC")
            elif what == "line info":
                _string(strings, a, f".BTF.ext line info record {i} file name")
                _string(strings, b, f".BTF.ext line info record {i} line")
            else:
                if not 0 < a < len(types):
                    _fail(f".BTF.ext CO-RE relocation {i}: type {a} of {len(types) - 1}")
                _string(strings, b, f".BTF.ext CO-RE relocation {i} access string")
                if c > 12:
                    _fail(f".BTF.ext CO-RE relocation {i}: unknown kind {c}")
        pos += num * rec_size


def _datasecs(types: list[BtfRecord | None], sections: dict[str, _Section]) -> None:
    """Variables of ``.data``/``.bss``/``.rodata`` must lie inside their ELF section."""
    for t in types:
        if t is None or t.kind != 15 or t.name not in sections:
            continue
        size = sections[t.name].size
        for v_type, v_off, v_size in t.members:
            if v_off > size or v_size > size - v_off:
                _fail(f"{t.name} variable of type {v_type} ({v_off}+{v_size}) lies outside "
                      f"the section ({size} bytes)")


# ------------------------------------------------------------------------------- .maps
def _maps_section(maps: _Section, symbols: list[_Symbol], types: list[BtfRecord | None],
                  strings: bytes) -> None:
    """libbpf reads each map definition at its DATASEC offset inside ``.maps``."""
    sec = next((t for t in types if t and t.kind == 15 and t.name == ".maps"), None)
    if sec is None:
        _fail("no .maps DATASEC in .BTF")
    for v_type, v_off, v_size in sec.members:
        var = types[v_type]
        if var is None or var.kind != 14:
            _fail(f".maps DATASEC entry of type {v_type} is not a variable")
        if v_off > maps.size or v_size > maps.size - v_off:
            _fail(f"map {var.name!r} ({v_off}+{v_size}) lies outside .maps ({maps.size} bytes)")
        if not any(s.name == var.name and s.shndx == maps.index for s in symbols):
            _fail(f"map {var.name!r} has no symbol in .maps")
        st = _resolve(types, var.size_or_type)
        if st is None or st.kind != 4:
            _fail(f"map {var.name!r} is not a struct")
        for m_type, _off, _ in st.members:
            if m_type and _resolve(types, m_type) is None:
                _fail(f"map {var.name!r} has a member of unknown type")


def _resolve(types: list[BtfRecord | None], tid: int) -> BtfRecord | None:
    t = types[tid] if 0 < tid < len(types) else None
    while t is not None and t.kind in _MODIFIERS:
        t = types[t.size_or_type] if 0 < t.size_or_type < len(types) else None
    return t
