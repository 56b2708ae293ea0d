"""Indices the program bounds itself with a constant mask (``e & C``), read from the AST.

The verifier bounds such an index from the program's own AND, so the lowering adds no
barrier that hides it from LLVM (lower/places.py), and its bound costs nothing once LLVM
folds the redundant clamp (frontend/cost.py).
"""
from __future__ import annotations

import ast

from .typed import FuncInfo
from .walk import all_nodes


def masked_below(fi: FuncInfo, node: ast.expr, length: int,
                 masks: dict[int, int] | None = None) -> bool:
    """``node`` is ``e & C`` with a constant ``C < length``, or a local whose every
    assignment is one (``masks``: :func:`mask_bounds` of ``fi``, made when not given)."""
    if isinstance(node, ast.Name) and node in fi.names:
        if masks is None:
            masks = mask_bounds(fi)
        bound = masks.get(id(fi.names[node].target))
    else:
        bound = mask_bound(fi, node)
    return bound is not None and bound < length


def mask_bounds(fi: FuncInfo) -> dict[int, int]:
    """Locals assigned only ``e & C`` (C a non-negative constant), with the largest C; keyed
    by the ``id`` of the variable (a Local, or a module global)."""
    found: dict[int, int | None] = {}
    plain: set[ast.Name] = set()
    for st in all_nodes(fi.node):
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name) and st.value is not None \
                    and targets[0] in fi.names:
                plain.add(targets[0])
                var, c = id(fi.names[targets[0]].target), mask_bound(fi, st.value)
                was = found.get(var, c)
                found[var] = None if c is None or was is None else max(c, was)
    for n in all_nodes(fi.node):             # any other store (augmented, loop, tuple) spoils it
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n not in plain \
                and n in fi.names:
            found[id(fi.names[n].target)] = None
    return {k: v for k, v in found.items() if v is not None}


def mask_bound(fi: FuncInfo, node: ast.expr) -> int | None:
    """``C`` when ``node`` is ``e & C`` (either side a non-negative constant), else None."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd)):
        return None
    known = [c for c in (fi.consts.get(node.left), fi.consts.get(node.right))
             if c is not None and c >= 0]
    return min(known) if known else None
