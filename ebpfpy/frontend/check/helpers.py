"""Checking calls of ``ebpfpy.helpers``: each helper's ``shape`` names its rule here."""
from __future__ import annotations

import ast
import re
from typing import Any, Callable

from ...map_kinds import MapKind
from ...model.helper_table import HELPERS, MAX_FORMAT_VALUES, Helper, widen_printk_format
from ...model.typed import ERR, Call, is_int
from ...types import BOOL, ArrayType, BpfType, RefType, u32, u64
from ..printk_format import checked_conversions, value_problem
from .alloc import RULES as ALLOC_RULES
from .atomics import check_atomic
from .context import CheckContext, ctx_arg, dest_ok, nargs, place_ok
from .expressions import expr, value_into
from .kernel import resolve_kernel_name
from .kfuncs import RULES as KFUNC_RULES
from .methods import output_size, record_arg
from .packets import check_packet_helper
from .sleep import sleepable_only_call
from .slices import check_slice, is_slice
from .symbols import map_of


def check_helper(c: CheckContext, node: ast.Call, name: str) -> BpfType:
    """``helpers.NAME(...)``: the helper's own rule types the arguments."""
    h = HELPERS.get(name)
    if h is None:
        c.src.error("E150", node.func, name=name,
                    names=", ".join(sorted(n for n in HELPERS if not n.startswith("_"))))
        return ERR
    if h.sleepable_only:
        sleepable_only_call(c, h, node)
    return RULES[h.shape](c, h, node)


def _record(c: CheckContext, h: Helper, node: ast.Call, extra: Any = None) -> BpfType:
    c.fi.calls[node] = Call("helper", h.name, h.ret, extra)
    return h.ret

def _noargs(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    if not nargs(c, node, 0, f"helpers.{h.name}"):
        return ERR
    return _record(c, h, node)

def _comm(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    return _noargs(c, h, node)

def _bswap(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    if not nargs(c, node, 1, f"helpers.{h.name}"):
        return ERR
    value_into(c, node.args[0], h.ret, "argument")
    return _record(c, h, node)

def _printk(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # bpf_trace_printk up to 3 values, bpf_trace_vprintk beyond: the lowering picks
    fmt = _format_call(c, h, node, 0)
    return ERR if fmt is None else _record(c, h, node, fmt)

def _format_call(c: CheckContext, h: Helper, node: ast.Call, at: int) -> str | None:
    """The one check of a format helper's call (printk, seq_printf): ``args[at]`` is a
    literal format the kernel accepts, and each later argument matches its conversion —
    an integer for %d/%u/%x/%c/%p, an array or struct (passed by address) for %s and the
    other conversions that read memory.  Returns the widened format, or None."""
    args = node.args
    what = f"helpers.{h.name}"
    lit = args[at] if len(args) > at else None
    if node.keywords or not (isinstance(lit, ast.Constant) and isinstance(lit.value, str)):
        c.src.error("E153", lit or node, what=what)
        return None
    values = args[at + 1:]
    if len(values) > MAX_FORMAT_VALUES:
        c.src.error("E154", values[MAX_FORMAT_VALUES], what=what, n=len(values),
                    limit=MAX_FORMAT_VALUES)
        return None
    fmt = lit.value
    specs = checked_conversions(c.src, lit)
    if specs is None:
        return None
    if len(specs) != len(values):
        c.src.error("E155", node, n=len(specs), got=len(values))
        return None
    ok = True
    for spec, a in zip(specs, values):
        t = expr(c, a)
        if t is ERR:
            ok = False
            continue
        scalar = is_int(t) or t is BOOL
        if not (scalar or place_ok(c, a)):
            c.src.error("E111", a, type=t)
            ok = False
            continue
        code = value_problem(spec, not scalar)
        if code:
            c.src.error(code, a, spec=spec.text, what=spec.reads, type=t)
            ok = False
    return widen_printk_format(fmt) if ok else None

def _destination(c: CheckContext, arg: ast.expr, what: str) -> None:
    """Memory a helper writes ``len(arg)`` bytes into: an object, an integer field or
    element of one, or a slice of an array (``buf[off:off + 16]``)."""
    if is_slice(arg):
        check_slice(c, arg, what)      # type: ignore[arg-type]
        return
    dt = expr(c, arg)
    if dt is not ERR and not dest_ok(c, arg):
        c.src.error("E156", arg, type=dt)

def _probe_read(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    if not nargs(c, node, 2, f"helpers.{h.name}"):
        return ERR
    _destination(c, node.args[0], f"helpers.{h.name}")
    value_into(c, node.args[1], u64, "source address")
    src = node.args[1]
    if "user" in h.name and c.fi.attrs.get(src, ("",))[0] == "dataloc":
        assert isinstance(src, ast.Attribute)
        c.src.error("E270", src, name=src.attr, helper=h.name)
    return _record(c, h, node)

def _copy_from_user_task(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # bpf_copy_from_user_task(dst, size, user_ptr, task, 0): another task's user memory
    if not nargs(c, node, 3, f"helpers.{h.name}"):
        return ERR
    _destination(c, node.args[0], f"helpers.{h.name}")
    value_into(c, node.args[1], u64, "source address")
    t = expr(c, node.args[2])
    name = getattr(getattr(t, "target", None), "name", None)
    if t is not ERR and not (isinstance(t, RefType) and t.space == "kernel" and name == "task_struct"):
        c.src.error("E265", node.args[2], what=f"helpers.{h.name}",
                    want="a task_struct reference as its third argument",
                    example="helpers.copy_from_user_task(buf, addr, helpers.get_current_task_btf())")
    return _record(c, h, node)

def _loop(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    if not nargs(c, node, 3, "helpers.loop"):
        return ERR
    value_into(c, node.args[0], u32, "iteration count")
    fn = node.args[1]
    if not (isinstance(fn, ast.Name) and fn.id in c.info.functions):
        c.src.error("E157", fn)
        return ERR
    rt = expr(c, node.args[2])
    target = rt.target if isinstance(rt, RefType) else rt
    if isinstance(rt, RefType) and rt.space == "map":
        # the kernel refuses it at load time ("R3 type=map_value expected=fp")
        c.src.error("E167", node.args[2], what="a map value", type=getattr(target, "name", target))
    sig = c.signatures.get(fn.id)
    if sig is not None:
        params, _ret = sig
        if len(params) != 2 or params[0][2] or not params[1][2] or \
                (target is not ERR and params[1][1] != target):
            c.src.error("E158", fn, name=fn.id, type=target)
    c.fi.callees.add(fn.id)
    c.call_sites.setdefault(fn.id, node)
    return _record(c, h, node, fn.id)


def _task_btf(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # bpf_get_current_task_btf: a BTF pointer to the current task_struct
    if not nargs(c, node, 0, f"helpers.{h.name}"):
        return ERR
    ks = resolve_kernel_name(c, node, "task_struct")
    if ks is None:
        return ERR
    t = RefType(ks, False, "kernel")
    c.fi.calls[node] = Call("helper", h.name, t)
    return t

def _get_stack(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.get_stack(ctx, buf, flags)`` / ``helpers.get_task_stack(task, buf, flags)``:
    addresses into a u64 array; the number of bytes written, or a negative error."""
    if not nargs(c, node, 3, f"helpers.{h.name}"):
        return ERR
    if h.name == "get_stack":
        if not ctx_arg(c, node.args[0], "E183", what="helpers.get_stack"):
            return ERR
    else:
        t = expr(c, node.args[0])
        if t is not ERR and not (isinstance(t, RefType) and t.space == "kernel"
                                 and getattr(t.target, "name", None) == "task_struct"):
            c.src.error("E185", node.args[0], type=t)
            return ERR
    bt = expr(c, node.args[1])
    target = bt.target if isinstance(bt, RefType) else bt
    if bt is not ERR and not (isinstance(target, ArrayType) and target.elem == u64
                              and place_ok(c, node.args[1])):
        c.src.error("E184", node.args[1], type=target)
        return ERR
    value_into(c, node.args[2], u64, "flags")
    return _record(c, h, node)


def _cgroup(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.current_task_under_cgroup(cg, index)``: 1 when the current task is in the
    cgroup at ``cg[index]`` or below it, 0 when not, negative on error."""
    if not nargs(c, node, 2, f"helpers.{h.name}"):
        return ERR
    m = map_of(c, node.args[0])
    if m is None or m.type.kind is not MapKind.CGROUP_ARRAY:
        c.src.error("E186", node.args[0], what=m.type.kind if m else "not a map")
        return ERR
    value_into(c, node.args[1], u32, "index")
    return _record(c, h, node)


def _perf_output(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    """``helpers.perf_event_output(ctx, events, flags, rec[, size])``: ``events.output(ctx,
    rec[, size])`` with explicit flags (``BPF_F_CURRENT_CPU``, or the index of this CPU's
    slot)."""
    if not nargs(c, node, (4, 5), f"helpers.{h.name}"):
        return ERR
    if not ctx_arg(c, node.args[0], "E180"):
        return ERR
    m = map_of(c, node.args[1])
    if m is None or m.type.kind is not MapKind.PERF_EVENT_ARRAY:
        c.src.error("E187", node.args[1], what=m.type.kind if m else "not a map")
        return ERR
    value_into(c, node.args[2], u64, "flags")
    if not record_arg(c, node.args[3], m):
        return ERR
    if len(node.args) == 5:
        output_size(c, node.args[4], node.args[3])
    return _record(c, h, node)


def _seq_file(c: CheckContext, node: ast.expr, what: str) -> None:
    t = expr(c, node)
    name = getattr(getattr(t, "target", None), "name", None)
    if t is not ERR and not (isinstance(t, RefType) and name == "seq_file"):
        c.src.error("E264", node, what=what, want="struct seq_file", type=t)

def _seq_printf(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # bpf_seq_printf(seq, fmt, fmt_size, data, data_len): the values travel as u64s
    if node.args:
        _seq_file(c, node.args[0], f"helpers.{h.name}")
    fmt = _format_call(c, h, node, 1)
    return ERR if fmt is None else _record(c, h, node, fmt)

def _seq_write(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    if not nargs(c, node, 2, f"helpers.{h.name}"):
        return ERR
    _seq_file(c, node.args[0], f"helpers.{h.name}")
    dt = expr(c, node.args[1])
    if dt is not ERR and not place_ok(c, node.args[1]):
        c.src.error("E156", node.args[1], type=dt)
    return _record(c, h, node)


def _core_field(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # helpers.field_exists(task.x): answered by libbpf against the target kernel
    if not nargs(c, node, 1, f"helpers.{h.name}"):
        return ERR
    arg = node.args[0]
    c.core_guard += 1                # the question itself may name a field this kernel lacks
    t = expr(c, arg)
    c.core_guard -= 1
    if t is not ERR and not (isinstance(arg, ast.Attribute) and
                             c.fi.attrs.get(arg, ("",))[0] == "kfield"):
        c.src.error("E265", arg, what=f"helpers.{h.name}", want="a kernel struct field",
                    example=f"helpers.{h.name}(task.pid)")
        return ERR
    return _record(c, h, node)

def _core_type(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # helpers.type_exists(kernel.X) / type_size(kernel.X)
    if not nargs(c, node, 1, f"helpers.{h.name}"):
        return ERR
    dsl = c.info.names.dsl(node.args[0])
    if dsl is None or not dsl.startswith("kernel."):
        c.src.error("E265", node.args[0], what=f"helpers.{h.name}", want="a kernel type",
                    example=f"helpers.{h.name}(task_struct)")
        return ERR
    ks = resolve_kernel_name(c, node.args[0], dsl[7:])
    if ks is None:
        return ERR
    return _record(c, h, node, ks)


def _core_enum(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    # helpers.enum_value(E.X) / enum_value_exists(E.X) of a @kernel_enum class
    if not nargs(c, node, 1, f"helpers.{h.name}"):
        return ERR
    arg = node.args[0]
    en = c.info.kernel_enums.get(arg.value.id) if isinstance(arg, ast.Attribute) and \
        isinstance(arg.value, ast.Name) and arg.value.id not in c.fi.locals else None
    if en is None or not isinstance(arg, ast.Attribute):
        c.src.error("E278", arg, what=f"helpers.{h.name} takes an enumerator of a @kernel_enum "
                    f"class, E.NAME, not {ast.unparse(arg)}")
        return ERR
    if arg.attr not in en.declared:
        c.src.error("E278", arg, what=f"@kernel_enum class {en.name} declares no "
                    f"enumerator {arg.attr!r} (it has: {', '.join(en.declared) or 'none'})")
        return ERR
    if h.name == "enum_value" and not en.has(arg.attr) and not c.core_guard:
        c.src.error("E277", arg, base=f"enum {en.name.rsplit('___', 1)[0]}", what="enumerator",
                    name=arg.attr, expr=ast.unparse(arg), query="enum_value_exists")
    return _record(c, h, node, (en, arg.attr))


def _kfunc(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    return KFUNC_RULES[h.name](c, h, node)


def _iter_num(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    c.src.error("E095", node, what="helpers.iter_num()", example="for i in helpers.iter_num(0, n): ...")
    return ERR


def _alloc(c: CheckContext, h: Helper, node: ast.Call) -> BpfType:
    return ALLOC_RULES[h.name](c, h, node)


RULES: dict[str, Callable[[CheckContext, Helper, ast.Call], BpfType]] = {
    "alloc": _alloc, "atomic": check_atomic,
    "iter_num": _iter_num,
    "noargs": _noargs, "comm": _comm, "bswap": _bswap, "printk": _printk,
    "probe_read": _probe_read, "loop": _loop, "task_btf": _task_btf,
    "copy_from_user_task": _copy_from_user_task,
    "seq_printf": _seq_printf, "seq_write": _seq_write, "core_field": _core_field, "core_enum": _core_enum, "kfunc": _kfunc,
    "core_type": _core_type, "get_stack": _get_stack,
    "cgroup": _cgroup, "perf_output": _perf_output,
    "packet": check_packet_helper,
}
