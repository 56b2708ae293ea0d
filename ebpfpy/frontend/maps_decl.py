"""Parse map declarations (``counts = HashMap(u32, u64, max_entries=1024)``)."""
from __future__ import annotations

import ast

from ..map_kinds import MapKind
from ..types import kernel_owned, ArrayType, BpfType, IntType, MapType, StructType, \
    iter_scalars, u32, u64
from .consts import ConstFolder
from ..model.items import MapDef, ModuleInfo
from ..model.source import Source
from .typeexpr import fixed_size, type_expr

MAX_STACK_DEPTH = 127           # kernel.perf_event_max_stack's default (PERF_MAX_STACK_DEPTH)
MAX_ENTRIES_LIMIT = 1 << 28


def parse_map_decl(info: ModuleInfo, fold: ConstFolder, name: str, call: ast.Call) -> MapDef | None:
    """The map ``name = Kind(...)`` declares, or None after reporting what is wrong."""
    src = info.src
    kind = MapKind.named(info.names.dsl(call.func))
    assert kind is not None
    params, kwonly = kind.params, kind.options
    args: dict[str, ast.expr] = {}
    if len(call.args) > len(params):
        src.error("E050", call, kind=kind, sig=", ".join([*params, *(f"{k}=" for k in kwonly)]))
        return None
    for p, a in zip(params, call.args):
        args[p] = a
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in params and kw.arg not in kwonly or kw.arg in args:
            src.error("E050", kw.value if kw.arg else call, kind=kind,
                      sig=", ".join([*params, *(f"{k}=" for k in kwonly)]))
            return None
        args[kw.arg] = kw.value
    missing = [p for p in params if p not in args]
    if missing:
        src.error("E051", call, kind=kind, missing=missing[0])
        return None
    before = len(src.errors)
    key = type_expr(info, fold, args["key"]) if "key" in args else (u32 if kind.keyed else None)
    value = type_expr(info, fold, args["value"], allow_opaque=True) if "value" in args else \
        (u32 if kind.fd_values else None)
    size_node = args.get("max_entries", args.get("size_bytes"))
    n = fold.fold(size_node) if size_node is not None else None
    if kind.default_size and size_node is None:
        n = 0                   # libbpf sizes it to the number of possible CPUs
    if len(src.errors) > before or n is None:
        return None
    if kind.byte_sized:
        if n < 4096 or n & (n - 1) or n > (1 << 30):
            src.error("E052", size_node, n=n)
            return None
    elif size_node is not None and not 0 < n <= MAX_ENTRIES_LIMIT:
        src.error("E053", size_node, n=n)
        return None
    for what, t, node in (("key", key, args.get("key")), ("value", value, args.get("value"))):
        if t is not None and node is not None and not fixed_size(
                info, node, t, f"a map's {what}",
                "a map's BTF type gives its value_size, which would leave the items out: build "
                "the record in a local (or reserve it from a ring buffer) and send it with "
                "output(rec, size)"):
            return None
        if t is not None and not isinstance(t, (IntType, StructType, ArrayType)):
            src.error("E054", node, what=what, type=t)
            return None
    if value is not None and not kind.timers and \
            any(kernel_owned(s) for s in iter_scalars(value)):
        src.error("E055", args["value"], kind=kind)
        return None
    if kind is MapKind.STACK_TRACE:
        value = _stack_value(src, fold, args.get("depth"))
        if value is None:
            return None
    mmapable = False
    if "mmapable" in args:
        m = args["mmapable"]
        if not (isinstance(m, ast.Constant) and isinstance(m.value, bool)):
            src.error("E056", m)
            return None
        mmapable = m.value
    event: BpfType | None = None
    if "event" in args and not (isinstance(args["event"], ast.Constant) and args["event"].value is None):
        event = type_expr(info, fold, args["event"])
        if event is None:
            return None
        need = (event.size + RINGBUF_HEADER + 7) // 8 * 8
        if kind is MapKind.RINGBUF and need > n:
            src.error("E057", args["event"], size=event.size, event=event, n=n, need=need,
                      pow2=f"1 << {max(12, (need - 1).bit_length())}")
            return None
    return MapDef(name, MapType(kind, key, value, n), call, event, mmapable)


RINGBUF_HEADER = 8          # BPF_RINGBUF_HDR_SZ: each record's length and page offset


def _stack_value(src: Source, fold: ConstFolder, node: ast.expr | None) -> ArrayType | None:
    """A stack trace map's value: ``depth`` instruction addresses (127 by default)."""
    depth = MAX_STACK_DEPTH if node is None else fold.fold(node)
    if depth is None:
        return None
    if not 1 <= depth <= MAX_STACK_DEPTH:
        src.error("E182", node, n=depth, limit=MAX_STACK_DEPTH)
        return None
    return ArrayType(u64, depth)
