"""Read the parts of a BPF ELF object that tools need: code sections, symbols, relocations, maps.

This is a thin, typed view over pyelftools.  Offsets are kept in bytes, as the ELF stores them;
instruction indices are ``offset // 8``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

INSN_SIZE = 8


@dataclass(frozen=True)
class Symbol:
    """A named function or object inside one section."""

    name: str
    section: str
    offset: int          # bytes from the section start
    size: int
    kind: str            # "FUNC", "OBJECT", "SECTION", ...
    is_global: bool


@dataclass(frozen=True)
class Relocation:
    """A relocation against an instruction: which symbol it names, and of what kind."""

    offset: int          # bytes from the start of the relocated section
    symbol: Symbol
    type: int            # R_BPF_64_64 = 1 (ld_imm64), R_BPF_64_32 = 10 (call), ...


@dataclass
class CodeSection:
    """An executable section: a program section (``xdp``, ``tracepoint/...``) or ``.text``."""

    name: str
    data: bytes
    functions: list[Symbol] = field(default_factory=list)
    relocations: dict[int, Relocation] = field(default_factory=dict)

    @property
    def insn_count(self) -> int:
        """Number of 8-byte instruction slots (an ld_imm64 takes two)."""
        return len(self.data) // INSN_SIZE

    def function_at(self, offset: int) -> Symbol | None:
        """The function symbol that starts at byte ``offset``, if any."""
        for f in self.functions:
            if f.offset == offset:
                return f
        return None


class BpfElf:
    """A parsed BPF ELF object (from ``ebpfpy.compile``, clang or anything producing ``EM_BPF``)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        try:
            self._elf = ELFFile(io.BytesIO(self.data))
        except Exception as e:  # pyelftools raises several unrelated types on garbage
            raise ValueError(f"not an ELF object: {e}") from None
        if self._elf["e_machine"] != "EM_BPF":
            raise ValueError(f"not a BPF object (machine {self._elf['e_machine']})")

    @classmethod
    def from_file(cls, path: str) -> "BpfElf":
        """Read an object file from disk."""
        with open(path, "rb") as f:
            return cls(f.read())

    def section_data(self, name: str) -> bytes | None:
        """Raw bytes of a section, or None when the object has no such section."""
        sec = self._elf.get_section_by_name(name)
        return None if sec is None else sec.data()

    @cached_property
    def symbols(self) -> list[Symbol]:
        """Every named symbol of ``.symtab`` that lives in a section (plus section symbols)."""
        symtab = self._elf.get_section_by_name(".symtab")
        out: list[Symbol] = []
        if not isinstance(symtab, SymbolTableSection):
            return out
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            if not isinstance(shndx, int) or shndx == 0:
                continue  # undefined, absolute or common
            sec = self._elf.get_section(shndx)
            kind = sym["st_info"]["type"].removeprefix("STT_")
            name = sym.name or (sec.name if kind == "SECTION" else "")
            out.append(Symbol(name, sec.name, sym["st_value"], sym["st_size"], kind,
                              sym["st_info"]["bind"] != "STB_LOCAL"))
        return out

    def _relocations_for(self, section_index: int) -> dict[int, Relocation]:
        syms = self._elf.get_section_by_name(".symtab")
        out: dict[int, Relocation] = {}
        if not isinstance(syms, SymbolTableSection):
            return out
        for sec in self._elf.iter_sections():
            if not isinstance(sec, RelocationSection) or sec["sh_info"] != section_index:
                continue
            for rel in sec.iter_relocations():
                s = syms.get_symbol(rel["r_info_sym"])
                shndx = s["st_shndx"]
                sec_name = self._elf.get_section(shndx).name if isinstance(shndx, int) and shndx else ""
                kind = s["st_info"]["type"].removeprefix("STT_")
                name = s.name or (sec_name if kind == "SECTION" else "")
                sym = Symbol(name, sec_name, s["st_value"], s["st_size"], kind,
                             s["st_info"]["bind"] != "STB_LOCAL")
                out[rel["r_offset"]] = Relocation(rel["r_offset"], sym, rel["r_info_type"])
        return out

    @cached_property
    def code_sections(self) -> list[CodeSection]:
        """Executable sections in file order, each with its functions sorted by offset."""
        out = []
        for idx, sec in enumerate(self._elf.iter_sections()):
            if not sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR or sec["sh_size"] == 0:
                continue
            funcs = sorted((s for s in self.symbols if s.section == sec.name and s.kind == "FUNC"),
                           key=lambda s: s.offset)
            out.append(CodeSection(sec.name, sec.data(), funcs, self._relocations_for(idx)))
        return out

    def code_section(self, name: str) -> CodeSection | None:
        """The executable section called ``name``, if present."""
        return next((s for s in self.code_sections if s.name == name), None)

    @property
    def program_sections(self) -> list[CodeSection]:
        """Sections holding programs: every executable section except ``.text`` (subprograms)."""
        return [s for s in self.code_sections if s.name != ".text"]

    @property
    def programs(self) -> list[tuple[Symbol, CodeSection]]:
        """Each program (a global function in a program section) with its section."""
        return [(f, sec) for sec in self.program_sections for f in sec.functions if f.is_global]

    @property
    def maps(self) -> list[Symbol]:
        """Map definitions: the objects of the BTF-defined ``.maps`` section."""
        return [s for s in self.symbols if s.section == ".maps" and s.kind == "OBJECT"]

    @property
    def license(self) -> str | None:
        """The license string (``license`` section), without its NUL."""
        raw = self.section_data("license")
        return None if raw is None else raw.split(b"\0", 1)[0].decode("ascii", "replace")
