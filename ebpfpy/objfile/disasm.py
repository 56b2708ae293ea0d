"""Disassemble a BPF object, each group of instructions under the source line it came from.

    on_open (section tracepoint/syscalls/sys_enter_openat):
    ; pid = u32(helpers.get_current_pid_tgid() >> 32)  # count_opens.py:7
        0: call bpf_get_current_pid_tgid
        1: r0 >>= 32

The line text comes from ``.BTF.ext`` line info, which ebpfpy fills with the Python source.
"""
from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import dataclass

from .btf import Btf
from .btf_ext import BtfExt, LineInfo, parse_btf_ext
from .elf import INSN_SIZE, BpfElf, CodeSection, Symbol
from .fmt import Names, format_insn
from .insn import PSEUDO_CALL, Insn, decode


INTERNAL_PREFIX = "__ebpfpy_"   # functions ebpfpy emits for itself (e.g. BTF type carriers)


def is_internal(name: str) -> bool:
    """Whether a function is one ebpfpy emits for its own use, never called by a program."""
    return name.startswith(INTERNAL_PREFIX)


@dataclass(frozen=True)
class Function:
    """A function's place: its section and byte range."""

    name: str
    section: CodeSection
    start: int           # bytes
    end: int             # bytes, exclusive


def functions(elf: BpfElf) -> list[Function]:
    """Every function of every code section, in file order.

    A function's end is its symbol size, or the next function's start when the size is 0
    (hand-written assembly); a section without function symbols counts as one function.
    """
    out = []
    for sec in elf.code_sections:
        syms = sec.functions or [Symbol(sec.name, sec.name, 0, len(sec.data), "FUNC", True)]
        for k, f in enumerate(syms):
            nxt = syms[k + 1].offset if k + 1 < len(syms) else len(sec.data)
            out.append(Function(f.name, sec, f.offset, f.offset + f.size if f.size else nxt))
    return out


def _reloc_text(elf_sec: CodeSection, insn: Insn) -> str | None:
    rel = elf_sec.relocations.get(insn.index * INSN_SIZE)
    if rel is None:
        return None
    add = insn.imm if insn.is_ld_imm64 else 0
    return rel.symbol.name + (f"{add:+d}" if add else "")


def _call_target(elf: BpfElf, sec: CodeSection, insn: Insn) -> tuple[str, int] | None:
    """(section, byte offset) reached by a bpf-to-bpf ``call``.

    Unlinked objects carry calls across sections as a relocation against the callee (or its
    section symbol) with ``imm`` counting from there; libbpf resolves ``sym + (imm + 1) * 8``.
    """
    rel = sec.relocations.get(insn.index * INSN_SIZE)
    if rel is not None:
        return rel.symbol.section, rel.symbol.offset + (insn.imm + 1) * INSN_SIZE
    return sec.name, (insn.index + 1 + insn.imm) * INSN_SIZE


def _names(elf: BpfElf, sec: CodeSection, insns: list[Insn], funcs: list[Function]) -> Names:
    names = Names()
    by_place = {(f.section.name, f.start): f.name for f in funcs}
    for i in insns:
        text = _reloc_text(sec, i)
        rel = sec.relocations.get(i.index * INSN_SIZE)
        if rel is not None and i.is_ld_imm64:
            # a callback's address (bpf_loop, timers) is a relocation against code: name it
            text = by_place.get((rel.symbol.section, rel.symbol.offset + i.imm), text)
        if text is not None:
            names.relocs[i.index] = text
        if i.is_call and i.src == PSEUDO_CALL:
            target = _call_target(elf, sec, i)
            if target in by_place:
                names.call_targets[i.index] = by_place[target]
    return names


LD_IMM64 = 0x18


def _callees(elf: BpfElf, fn: Function, funcs: list[Function]) -> list[str]:
    by_place = {(f.section.name, f.start): f.name for f in funcs}
    out = []
    for i in decode(fn.section.data[fn.start:fn.end]):
        i = Insn(i.index + fn.start // INSN_SIZE, i.opcode, i.dst, i.src, i.off, i.imm, i.imm64)
        if i.is_call and i.src == PSEUDO_CALL:
            target = _call_target(elf, fn.section, i)
            name = by_place.get(target) if target is not None else None
            if name:
                out.append(name)
        elif i.opcode == LD_IMM64:
            # a callback's address (bpf_loop, timers): a relocation against code
            rel = fn.section.relocations.get(i.index * INSN_SIZE)
            if rel is not None:
                name = by_place.get((rel.symbol.section, rel.symbol.offset + (i.imm64 or i.imm)))
                if name:
                    out.append(name)
    return out


def reachable(elf: BpfElf, funcs: list[Function], program: str | None) -> list[Function]:
    """All functions, or one program (by name or section) plus every function it calls.

    These are the instructions the kernel loads for that program.  ``KeyError`` (naming the
    object's programs) when there is no such program.
    """
    if program is None:
        return funcs
    by_name = {f.name: f for f in funcs}
    start = by_name.get(program) or next((f for f in funcs if f.section.name == program), None)
    if start is None:
        progs = ", ".join(p.name for p, _ in elf.programs) or "none"
        raise KeyError(f"no program {program!r} in the object (programs: {progs})")
    seen, todo = [start.name], [start]
    while todo:
        for callee in _callees(elf, todo.pop(), funcs):
            if callee not in seen:
                seen.append(callee)
                todo.append(by_name[callee])
    return [f for f in funcs if f.name in seen]


def _line_at(lines: list[LineInfo], keys: list[int], off: int) -> LineInfo | None:
    k = bisect_right(keys, off) - 1
    return lines[k] if k >= 0 else None


def _render_function(elf: BpfElf, fn: Function, funcs: list[Function], ext: BtfExt | None) -> list[str]:
    sec = fn.section
    out = [f"{fn.name} (section {sec.name}):"]
    insns = [i for i in decode(sec.data) if fn.start <= i.index * INSN_SIZE < fn.end]
    names = _names(elf, sec, insns, funcs)
    lines = ext.line_info.get(sec.name, []) if ext else []
    keys = [li.insn_off for li in lines]
    shown: tuple[str, int] | None = None
    for i in insns:
        li = _line_at(lines, keys, i.index * INSN_SIZE)
        if li is not None and (li.file_name, li.line) != shown:
            shown = (li.file_name, li.line)
            out.append(f"; {li.line_text.strip()}  # {os.path.basename(li.file_name)}:{li.line}")
        out.append(f"{i.index:>5}: {format_insn(i, names)}")
    return out


def load_ext(elf: BpfElf) -> BtfExt | None:
    """Line and function info of an object, or None when it has no (readable) ``.BTF.ext``."""
    raw_btf, raw_ext = elf.section_data(".BTF"), elf.section_data(".BTF.ext")
    if raw_btf is None or raw_ext is None:
        return None
    return parse_btf_ext(raw_ext, Btf(raw_btf))


def disasm(elf: BpfElf | bytes, program: str | None = None, internal: bool = False) -> str:
    """The object's instructions as text, grouped under their source lines.

    ``program`` limits the listing to one program (by function name, or section name) and the
    functions it calls; ``KeyError`` names the programs when there is no such program.
    ebpfpy's internal functions (:func:`is_internal`) are listed only with ``internal=True``.
    """
    if not isinstance(elf, BpfElf):
        elf = BpfElf(elf)
    funcs = functions(elf)
    ext = load_ext(elf)
    shown = [f for f in reachable(elf, funcs, program) if internal or not is_internal(f.name)]
    blocks = ["\n".join(_render_function(elf, f, funcs, ext)) for f in shown]
    return "\n\n".join(blocks) + "\n"
