"""The table printed by ``ebpfpy check``: one row per program, then its subprograms.

Two limits, two columns.  ``instructions`` is the program's size, from the ELF (the program
plus every subprogram it calls: what the kernel loads), checked against the size limit
(4,096 instructions, BPF_MAXINSNS, for an unprivileged load; 1,000,000 otherwise).
``est. verifier cost`` is the verifier's work, the instructions it processes walking every
path (bounded loops iteration by iteration, callbacks until their state converges), checked
against the 1,000,000 that applies to every program.  Stack bytes and what was split come
from the compiler's report; columns print as ``-`` where nothing is known.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model.report import Report, ReportRow
from .objfile import BpfElf, functions, is_internal, reachable
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
        """Whether the program's estimated verifier work (processed instructions) exceeds
        ``budget``; subprogram rows are part of their program's total."""
        return self.part_of is None and self.est_cost is not None and self.est_cost > budget

    def budget_problem(self, budget: int) -> str:
        """The sentence explaining ``over_budget``."""
        return (f"estimated verifier work {self.est_cost:,} processed instructions exceeds "
                f"the budget of {budget:,}")

    def over_size(self, max_insns: int) -> bool:
        """Whether the program with its subprograms has more than ``max_insns`` instructions
        (what the kernel counts against BPF_MAXINSNS for unprivileged loads)."""
        return self.part_of is None and self.insns > max_insns

    def size_problem(self, max_insns: int) -> str:
        """The sentence explaining ``over_size``."""
        return f"{self.insns:,} instructions exceed the program size limit of {max_insns:,}"


def check_rows(elf_bytes: bytes, report: Report | None = None, internal: bool = False) -> list[Row]:
    """Rows for every program of the object, merged with the compiler's report by name;
    with ``internal``, then a row for each function ebpfpy emits for itself."""
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
    if internal:
        # part of no program (never loaded): part_of="" keeps them out of the budget check
        rows += [Row(f.name, "(internal)", (f.end - f.start) // INSN_SIZE, part_of="")
                 for f in funcs if is_internal(f.name)]
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
