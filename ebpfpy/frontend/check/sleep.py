"""Sleepable programs: helpers that may sleep are called only where the kernel allows it.

The verifier refuses a ``might_sleep`` helper in a program loaded without BPF_F_SLEEPABLE
("helper call might sleep in a non-sleepable prog"); here that is E280 at the call, naming
the program's section.  A subprogram may call such a helper only when every program that
reaches it is sleepable: that is checked once all functions are typed.
"""
from __future__ import annotations

import ast

from ...map_kinds import MapKind
from ...model.helper_table import Helper
from ...model.items import FuncDef
from ...model.sections import kind_of
from ...model.source import Source
from ...model.typed import FuncInfo
from .context import CheckContext




def is_sleepable(section: str | None) -> bool:
    """True for the sections libbpf loads with BPF_F_SLEEPABLE (``*.s/...``, ``syscall``)."""
    kind = kind_of(section) if section else None
    return bool(kind and kind.sleepable)


def sleepable_only_call(c: CheckContext, h: Helper, node: ast.Call) -> None:
    """E280 for a sleepable-only helper in a non-sleepable program; in a subprogram the call
    is remembered for :func:`check_callers`."""
    section = c.fi.fdef.section
    if section is None:
        c.sleep_calls.append((h.name, node))
    elif not is_sleepable(section):
        _report(c.src, h.name, node, section)


def map_use(c: CheckContext, node: ast.expr, kind: MapKind) -> None:
    """E281 when a sleepable program names a map of a kind the kernel refuses there
    (:attr:`MapKind.sleepable`)."""
    section = c.fi.fdef.section
    if not kind.sleepable and is_sleepable(section):
        c.src.error("E281", node, name=getattr(node, "id", "?"), kind=kind.dsl_name,
                    section=section,
                    ok=", ".join(sorted(k.dsl_name for k in MapKind if k.sleepable)))


def check_callers(src: Source, programs: dict[str, FuncDef], funcs: dict[str, FuncInfo],
                  sleep_calls: dict[str, list[tuple[str, ast.Call]]]) -> None:
    """E280 at each sleepable-only call in a subprogram that a non-sleepable program reaches."""
    reported: set[ast.Call] = set()
    for prog in programs.values():
        if prog.name not in funcs or is_sleepable(prog.section):
            continue
        seen: set[str] = set()
        todo = sorted(funcs[prog.name].callees)
        while todo:
            name = todo.pop()
            if name in seen or name not in funcs:
                continue
            seen.add(name)
            todo.extend(sorted(funcs[name].callees))
            for helper, node in sleep_calls.get(name, []):
                if node not in reported:
                    reported.add(node)
                    _report(src, helper, node, prog.section or "", via=f" (through {name}())")


def _report(src: Source, helper: str, node: ast.Call, section: str, via: str = "") -> None:
    kind = section.split("/", 1)[0]
    fix = (f"uprobe.s/{section.split('/', 1)[1]}" if kind in ("uprobe", "uretprobe") and "/" in section
           else f"{kind}.s/..." if kind in ("iter", "fentry", "fexit", "fmod_ret", "lsm")
           else "a sleepable section (uprobe.s/PATH:SYMBOL, iter.s/task, syscall)")
    src.error("E280", node.func, helper=helper, section=section, via=via, fix=fix)
