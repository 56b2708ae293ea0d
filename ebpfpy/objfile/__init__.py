"""Read BPF ELF objects: sections, symbols, maps, BTF strings, ``.BTF.ext`` and a disassembler.

Pure Python over pyelftools; nothing here touches the kernel.
"""
from __future__ import annotations

from .btf import Btf
from .btf_ext import BtfExt, FuncInfo, LineInfo, parse_btf_ext
from .disasm import Function, disasm, functions, is_internal, load_ext, reachable
from .elf import BpfElf, CodeSection, Relocation, Symbol
from .fmt import format_insn
from .helpers import helper_id, helper_name
from .insn import Insn, decode

__all__ = ["BpfElf", "CodeSection", "Symbol", "Relocation", "Btf", "BtfExt", "FuncInfo",
           "LineInfo", "parse_btf_ext", "disasm", "functions", "is_internal", "reachable", "Function", "load_ext", "Insn", "decode",
           "format_insn", "helper_name", "helper_id"]
