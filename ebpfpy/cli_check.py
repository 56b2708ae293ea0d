"""The table printed by ``ebpfpy check``: one row per program, then its subprograms.

Instruction counts come from the ELF (the program plus every subprogram it calls: what the
kernel loads); estimated verifier cost, stack bytes and what was split come from the
compiler's report when it provides them, and print as ``-`` otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .frontend.report import Report, ReportRow
from .objfile import BpfElf, functions, reachable
from .objfile.elf import INSN_SIZE

HEADERS = ("program", "section", "instructions", "est. verifier cost", "stack bytes", "split")


@dataclass
class Row:
    """One program's figures; None where nothing is known."""

    name: str
    section: str
    insns: int
    est_cost: int | None = None
    stack: int | None = None
    split: str | None = None
    part_of: str | None = None      # the program a subprogram row belongs to

    def over_budget(self, budget: int) -> bool:
        """Whether the program's estimated cost (or, lacking one, its size) exceeds ``budget``;
        subprogram rows are part of their program's total."""
        if self.part_of is not None:
            return False
        return (self.est_cost if self.est_cost is not None else self.insns) > budget

    def budget_problem(self, budget: int) -> str:
        """The sentence explaining ``over_budget``."""
        if self.est_cost is not None:
            return f"estimated verifier cost {self.est_cost:,} exceeds the budget of {budget:,}"
        return f"{self.insns:,} instructions exceed the budget of {budget:,}"


def check_rows(elf_bytes: bytes, report: Report | None = None) -> list[Row]:
    """Rows for every program of the object, merged with the compiler's report by name."""
    elf = BpfElf(elf_bytes)
    funcs = functions(elf)
    known = report or Report()
    rows = []
    for prog, sec in elf.programs:
        parts = reachable(elf, funcs, prog.name)
        insns = sum((f.end - f.start) // INSN_SIZE for f in parts)
        rows.append(_row(prog.name, sec.name, insns, known.get(prog.name)))
        # subprograms and outlined loop bodies: verified with the program, shown under it
        for f in parts:
            if f.name == prog.name:
                continue
            sub = known.get(f.name)
            rows.append(_row("  " + f.name, sub.section if sub else "(subprogram)",
                             (f.end - f.start) // INSN_SIZE, sub, part_of=prog.name))
    return rows


def _row(name: str, section: str, insns: int, entry: ReportRow | None,
         part_of: str | None = None) -> Row:
    if entry is None:
        return Row(name, section, insns, part_of=part_of)
    split = None if entry.split in ("", "-") else entry.split
    return Row(name, section, insns, est_cost=entry.est_cost, stack=entry.stack, split=split,
               part_of=part_of)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:,}" if isinstance(v, int) else str(v)


def render_table(rows: list[Row]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [HEADERS] + [(r.name, r.section, _cell(r.insns), _cell(r.est_cost), _cell(r.stack),
                          _cell(r.split)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    numeric = {2, 3, 4}
    lines = []
    for c in cells:
        parts = [c[i].rjust(widths[i]) if i in numeric and c is not cells[0] else c[i].ljust(widths[i])
                 for i in range(len(HEADERS))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"
