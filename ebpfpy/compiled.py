"""What the compiler hands to the loader: the ELF and the facts userspace needs.

Its own module, below both ``pipeline`` (which builds it) and ``loader`` (which reads it), so
neither has to import ``api``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .model.report import Report
from .types import BpfType, MapType, StructType


@dataclass
class CompiledModule:
    """The ELF of one source file with its struct types, maps, programs and report."""

    elf: bytes
    filename: str
    source: str
    structs: dict[str, StructType] = field(default_factory=dict)
    maps: dict[str, MapType] = field(default_factory=dict)
    programs: dict[str, str] = field(default_factory=dict)          # name -> section
    events: dict[str, BpfType | None] = field(default_factory=dict)  # ring buffer -> record type
    report: Report = field(default_factory=Report)                   # for ``ebpfpy check``
    # ProgArray -> the programs the loader puts at its indexes 0, 1, ...: the parts of a
    # program too large for one verifier pass, chained by tail calls (frontend/chain.py)
    chains: dict[str, list[str]] = field(default_factory=dict)
