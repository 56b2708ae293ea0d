"""Flow facts for the verifier-friendliness rules: which references are known non-None,
which integer variables are known to lie in a range (for array index proofs), and which
ring-buffer records are reserved and not yet released (acquire/release, ``check/refs.py``)."""
from __future__ import annotations

import ast
from ..model.walk import all_nodes
from dataclasses import dataclass, field


@dataclass
class Flow:
    nonnull: set[str] = field(default_factory=set)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    dead: bool = False          # control never reaches here (after return/break/continue)
    held: dict[str, ast.Call] = field(default_factory=dict)       # name -> its reserve()
    released: dict[str, ast.Call] = field(default_factory=dict)   # name -> its submit/discard

    def copy(self) -> "Flow":
        return Flow(set(self.nonnull), dict(self.ranges), self.dead, dict(self.held),
                    dict(self.released))

    def forget(self, name: str) -> None:
        self.nonnull.discard(name)
        self.ranges.pop(name, None)

    def narrow(self, name: str, lo: int, hi: int) -> None:
        old = self.ranges.get(name)
        if old is not None:
            lo, hi = max(lo, old[0]), min(hi, old[1])
        self.ranges[name] = (lo, hi)

    @staticmethod
    def join(flows: list["Flow"]) -> "Flow":
        """Facts that hold on every live incoming path."""
        live = [f for f in flows if not f.dead]
        if not live:
            return Flow(dead=True)
        out = live[0].copy()
        for f in live[1:]:
            out.nonnull &= f.nonnull
            out.ranges = {k: (min(v[0], f.ranges[k][0]), max(v[1], f.ranges[k][1]))
                          for k, v in out.ranges.items() if k in f.ranges}
            out.held.update(f.held)              # held or released on any path: the
            out.released.update(f.released)      # checker reports the mismatch (refs.py)
        out.dead = False
        return out


def assigned_names(stmts: list[ast.stmt]) -> set[str]:
    """Names (re)bound anywhere inside ``stmts`` (loop bodies invalidate these facts)."""
    out: set[str] = set()
    for s in stmts:
        for n in all_nodes(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                out.add(n.target.id)
    return out


def terminates(stmts: list[ast.stmt]) -> bool:
    """True when the block always leaves by return/break/continue."""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
            return True
        if isinstance(s, ast.If) and s.orelse and terminates(s.body) and terminates(s.orelse):
            return True
    return False
