"""Choosing how each loop is emitted so that every program passes the verifier.

A bounded loop costs the verifier ``trips × body``; a loop outlined into a ``bpf_loop``
callback costs its body a small number of times whatever the trip count (the verifier walks
a callback until its state converges) — but each iteration then pays for a call, so a loop
is outlined only when it must be, and the outermost loop that fixes the cost is the one
outlined (row-granular, not per cell).  The estimate is within a factor of
``ESTIMATE_ERROR`` of the kernel's count, and a generated program should verify in at most
``1 / MARGIN`` of the budget, so nothing is split when the estimate fits
``budget / (ESTIMATE_ERROR * MARGIN)``; otherwise the per-loop limit shrinks until it fits.
A program that still does not fit (straight-line code) is a compile error that explains the
limit and the way out.
"""
from __future__ import annotations

import ast

from .check.refs import RINGBUF
from .cost import CostModel
from ..model.report import Report, ReportRow
from ..model.typed import CheckedModule, FuncInfo, LoopStrategy
from ..model.walk import all_nodes

BPF_LOOP_MAX = 1 << 23              # the kernel's cap on bpf_loop iterations
DEFAULT_BUDGET = 1_000_000
ESTIMATE_ERROR = 2                  # how far the estimate may be from the kernel's count
MARGIN = 2                          # a generated program verifies in at most budget / MARGIN
LIMITS = (200_000, 50_000, 8_000, 1_000, 0)
MARGINAL_GAIN = 1.1                # splitting further must cut the estimate by more than this
MAX_WALKED_TRIPS = 65_536           # longer bounded loops are slow for the verifier to walk


def plan_splits(checked: CheckedModule, budget: int = DEFAULT_BUDGET, split: bool = True,
                judge: bool = True) -> dict[str, int]:
    """Annotate every loop with a strategy, fill ``checked.report``; errors for misfits
    (with ``judge``: else the caller calls :func:`over_budget` for what it does not chain).
    The estimated cost of every function.

    ``split=False`` keeps every loop a bounded loop and leaves the verdict to the kernel.
    """
    if split:
        target = max(budget // (ESTIMATE_ERROR * MARGIN), 1)
        # down to the first limit that fits, then back to the fewest outlines that come
        # within MARGINAL_GAIN of the least cost: the rest of the cost is not in a loop that
        # splitting fixes, and an outline may cost the verifier more than the model sees
        # (measured: five small outlines in http_stats that the model saw saving 6k of 253k
        # cost the kernel 25k more)
        levels: list[tuple[int, dict[int, LoopStrategy], dict[str, int]]] = []
        for limit in (target,) + tuple(t for t in LIMITS if t < target):
            for name in checked.order:          # callees first: callers count their cost
                fi = checked.funcs[name]
                for s in _outer_loops(fi.node.body):
                    _decide(checked, fi, s, limit)
            level_costs = _program_costs(checked)
            worst = max(level_costs.values(), default=0)
            levels.append((worst, _strategies(checked), level_costs))
            if worst <= target:
                break
        least = min(w for w, _, _ in levels)
        chosen, costs = next((st, c) for w, st, c in levels if w <= least * MARGINAL_GAIN)
        for fi in checked.funcs.values():
            for s, info in fi.loops.items():
                info.strategy = chosen[id(s)]
    else:
        costs = _program_costs(checked)
    for fi in checked.funcs.values():
        _capture(fi)
    # the chosen level's costs: the estimate depends on the strategies only (a large
    # function's estimate is a walk of its whole tree; made once, not three times)
    checked.report = _report(checked, costs)
    if split and judge:
        over_budget(checked, budget, costs)
    return costs


def _outer_loops(stmts: list[ast.stmt]) -> list[ast.For]:
    """The loops of ``stmts`` not nested in another loop of ``stmts`` (through ifs)."""
    out: list[ast.For] = []
    for s in stmts:
        if isinstance(s, ast.For):
            out.append(s)
        elif isinstance(s, ast.If):
            out.extend(_outer_loops(s.body) + _outer_loops(s.orelse))
    return out


def _decide(checked: CheckedModule, fi: FuncInfo, s: ast.For, limit: int) -> None:
    """Outline ``s`` if walking it costs more than ``limit``; then its body if still needed."""
    if s not in fi.loops:
        return
    info = fi.loops[s]
    if info.strategy is LoopStrategy.ITER_NUM:
        # an open-coded iterator is verified by convergence, never outlined (its inner loops may be)
        for inner in _outer_loops(s.body):
            _decide(checked, fi, inner, limit)
        return
    info.strategy = LoopStrategy.LOOP
    for sub in all_nodes(s):
        if isinstance(sub, ast.For) and sub is not s and sub in fi.loops and \
                fi.loops[sub].strategy is not LoopStrategy.ITER_NUM:
            fi.loops[sub].strategy = LoopStrategy.LOOP
    walked = CostModel(checked.funcs).loop(fi, s)
    if walked <= limit and info.trip_bound <= MAX_WALKED_TRIPS:
        return
    if info.trip_bound <= 1:
        # one iteration: outlining saves nothing, its inner loops may (fuzz seed 3 program
        # 1709: a branchy 5-iteration loop in a 1-iteration one, estimate 167,772,639)
        for inner in _outer_loops(s.body):
            _decide(checked, fi, inner, limit)
        return
    if not _outlinable(fi, s):
        return                  # walked; over_budget says so if it does not fit
    info.strategy = LoopStrategy.BPF_LOOP
    if CostModel(checked.funcs).loop(fi, s) >= walked:
        # outlining would cost the verifier as much or more: the cost is in the body (an
        # inner loop whose own paths multiply; fuzz seed 7700417 program 1174), so decide
        # the inner loops, walked inside this one
        info.strategy = LoopStrategy.LOOP
        for inner in _outer_loops(s.body):
            _decide(checked, fi, inner, limit)
        return
    if CostModel(checked.funcs).block(fi, s.body) > limit:
        for inner in _outer_loops(s.body):
            _decide(checked, fi, inner, limit)


def _strategies(checked: CheckedModule) -> dict[int, LoopStrategy]:
    """Every loop's strategy, by the loop node's id."""
    return {id(s): info.strategy for fi in checked.funcs.values() for s, info in fi.loops.items()}


def _outlinable(fi: FuncInfo, s: ast.For) -> bool:
    """Whether the body can move into a callback: a packet pointer cannot cross into it (the
    verifier forgets the checked packet range of a pointer read back from the frame), nor a
    reserved ring-buffer record (its reference belongs to the caller; a record reserved and
    released within one iteration moves into the callback with the body)."""
    shared = {name for name, loc in fi.locals.items() if loc.space in ("packet", RINGBUF, "alloc",
                                                                          "percpu")}
    if not shared:
        return True
    inside = {id(n) for n in all_nodes(s)}
    used_in = {n.id for n in all_nodes(s) if isinstance(n, ast.Name)}
    used_out = {n.id for n in all_nodes(fi.node) if isinstance(n, ast.Name) and id(n) not in inside}
    return not (shared & used_in & used_out)


def _program_costs(checked: CheckedModule) -> dict[str, int]:
    model = CostModel(checked.funcs)
    return {name: model.function(fi) for name, fi in checked.funcs.items()}


def _capture(fi: FuncInfo) -> None:
    """Locals live across an outlined loop's boundary travel in the function's frame struct;
    locals used only inside the body stay in the callback's own registers."""
    params = {p.name for p in fi.params}
    for s, info in fi.loops.items():
        if info.strategy is not LoopStrategy.BPF_LOOP:
            info.captured = []
            continue
        inside = {id(n) for n in all_nodes(s)}
        used_in = {n.id for n in all_nodes(s) if isinstance(n, ast.Name)}
        used_out = params | {n.id for n in all_nodes(fi.node)
                             if isinstance(n, ast.Name) and id(n) not in inside}
        info.captured = [loc for name, loc in fi.locals.items()
                         if name in used_in and name in used_out]


def _report(checked: CheckedModule, costs: dict[str, int]) -> Report:
    """One row per program, subprogram and outlined loop body (for ``ebpfpy check``)."""
    rows = []
    model = CostModel(checked.funcs)
    for name in checked.order:
        fi = checked.funcs[name]
        splits, callbacks = [], []
        for s, info in fi.loops.items():
            if info.strategy is LoopStrategy.BPF_LOOP:
                cb = f"{name}__loop_l{s.lineno}c{s.col_offset}"
                splits.append(f"line {s.lineno}: loop of {info.trip_bound:,} iterations -> "
                              f"bpf_loop callback {cb} (walked until its state converges, "
                              "not once per iteration)")
                callbacks.append(ReportRow(name=cb, section="(bpf_loop callback)",
                                           est_cost=model.block(fi, s.body) + 3, stack=None,
                                           split=f"body of the loop at line {s.lineno}"))
        rows.append(ReportRow(name=name, section=fi.fdef.section or "(function)",
                              est_cost=costs.get(name, 0), stack=fi.stack_bytes,
                              split="; ".join(splits) or "-"))
        rows.extend(callbacks)
    return Report(rows)


def over_budget(checked: CheckedModule, budget: int, costs: dict[str, int],
                skip: frozenset[str] | set[str] = frozenset()) -> None:
    """E250 for every program (but those in ``skip``) whose estimate exceeds the budget."""
    src = checked.info.src
    for name, fi in checked.funcs.items():
        if fi.fdef.section is None or name in skip:
            continue
        cost = costs[name]
        limit = budget // ESTIMATE_ERROR    # the kernel's count may be twice the estimate
        if cost > limit:
            node = fi.node
            src.error("E250", (node.lineno, node.col_offset, node.col_offset + 4 + len(node.name)),
                      name=name, cost=cost, budget=budget, limit=limit)
    src.raise_if_errors()
