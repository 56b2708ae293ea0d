"""Typing kernel functions that hand out references: ``helpers.task_from_pid(pid)`` (kfunc
``bpf_task_from_pid``, KF_ACQUIRE | KF_RET_NULL) and ``helpers.task_release(t)``
(``bpf_task_release``, KF_RELEASE), and ``helpers.ksym_exists("name")``.

The verifier counts an acquired task as a reference the program must give back on every
path ("Unreleased reference").  The rule rides on the acquire/release flow facts of
``refs.py`` (``Flow.held``/``Flow.released``): the task is tracked by the name it is bound
to, as a reserved ring-buffer record is; ``if t is None:`` ends it on the None branch.
"""
from __future__ import annotations

import ast
import re

from ...model.helper_table import Helper
from ...model.kernel_types import kernel_struct
from ...model.typed import ERR, Call, is_int
from ...types import BOOL, NONE, BpfType, RefType
from .context import CheckContext, nargs
from .expressions import expr

KFUNC_TASK = "kfunc_task"               # Call.kind of task_from_pid / task_release
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*$")


def acquires(c: CheckContext, node: ast.AST) -> bool:
    """True when ``node`` is a ``task_from_pid`` call (its result must be released)."""
    rec = c.fi.calls.get(node) if isinstance(node, ast.Call) else None
    return rec is not None and rec.kind == KFUNC_TASK and rec.name == "task_from_pid"


def task_from_pid(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``t = helpers.task_from_pid(pid)``: a task_struct reference the program holds, or
    None when no such process exists."""
    if not nargs(c, node, 1, "helpers.task_from_pid"):
        return ERR
    pt = expr(c, node.args[0])          # any integer: pid_t, u32(pid_tgid >> 32) ...
    if pt is not ERR and not is_int(pt):
        c.src.error("E111", node.args[0], type=pt)
    s = c.node
    if not (isinstance(s, ast.Assign) and s.value is node and len(s.targets) == 1 and
            isinstance(s.targets[0], ast.Name)):
        c.src.error("E279", node, what="the task of helpers.task_from_pid must be bound to a "
                                       "name of its own (t = helpers.task_from_pid(pid))")
        return ERR
    ks = kernel_struct("task_struct")
    if ks is None:
        c.src.error("E260", node, name="task_struct")
        return ERR
    t = RefType(ks, True, "kernel")
    c.fi.calls[node] = Call(KFUNC_TASK, "task_from_pid", t, ks)
    return t


def task_release(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.task_release(t)`` as a statement: gives back a task from task_from_pid."""
    if not nargs(c, node, 1, "helpers.task_release"):
        return ERR
    arg = node.args[0]
    name = arg.id if isinstance(arg, ast.Name) else ""
    s = c.node
    if not (isinstance(s, ast.Expr) and s.value is node):
        c.src.error("E279", node, what="helpers.task_release(t) is a statement of its own")
        return ERR
    t = expr(c, arg)
    held = c.flow.held.pop(name, None)
    if t is ERR:
        return ERR
    if held is None or not acquires(c, held):
        c.src.error("E279", arg, what=f"helpers.task_release takes a task from "
                                      f"helpers.task_from_pid by the name it was bound to, "
                                      f"held here (not {ast.unparse(arg)})")
        return ERR
    c.flow.released[name] = node
    c.fi.calls[node] = Call(KFUNC_TASK, "task_release", NONE, None)
    return NONE


def ksym_exists(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.ksym_exists("name")``: whether the running kernel has the symbol (a weak,
    typeless ``__ksym`` extern that libbpf resolves from /proc/kallsyms)."""
    if not nargs(c, node, 1, "helpers.ksym_exists"):
        return ERR
    arg = node.args[0]
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str) and
            _SYMBOL.match(arg.value)):
        c.src.error("E265", arg, what="helpers.ksym_exists", want="a kernel symbol's name "
                    "as a string literal", example='helpers.ksym_exists("bpf_task_from_pid")')
        return ERR
    c.fi.calls[node] = Call("helper", "ksym_exists", BOOL, arg.value)
    return BOOL


RULES = {"task_from_pid": task_from_pid, "task_release": task_release,
         "ksym_exists": ksym_exists}
