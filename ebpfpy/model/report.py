"""The compiler's per-function report (``ebpfpy check``): estimated cost, stack, splits.

A leaf module of plain data, so the pipeline's public result (``CompiledModule.report``) is
typed without pulling the checker in.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportRow:
    """One program, subprogram or outlined loop body."""

    name: str
    section: str                    # an ELF section, "(function)" or "(bpf_loop callback)"
    est_cost: int                   # the cost model's estimate of the verifier's work
    stack: int | None               # stack bytes; None when not estimated (loop bodies)
    split: str                      # what was outlined and why, or "-"


@dataclass
class Report:
    """The rows of a whole module, in compilation order (callees before callers)."""

    rows: list[ReportRow] = field(default_factory=list)

    def get(self, name: str) -> ReportRow | None:
        """The row of function ``name``, or None (e.g. a type-carrier stub)."""
        return next((r for r in self.rows if r.name == name), None)
