"""Lowering ``for i in helpers.iter_num(a, b)``: an open-coded iterator (Linux 6.4+).

The loop calls the kernel functions (kfuncs) ``bpf_iter_num_new(&it, a, b)``, then
``bpf_iter_num_next(&it)`` until it returns NULL, and ``bpf_iter_num_destroy(&it)`` on the
way out (``break`` and the end of the loop both reach it; the checker refuses ``return``
inside, which would skip it).  The verifier checks such a loop by convergence — it walks the
body until the state at ``next`` repeats — not iteration by iteration, and needs no callback.

Kfuncs are called by name, not by number: each is declared ``extern`` in section
``.ksyms`` with a debug prototype, so LLVM puts a ``FUNC`` of extern linkage into the
object's BTF and libbpf resolves it against the running kernel's BTF at load time.
"""
from __future__ import annotations

import ast
from typing import Any

import llvmlite.ir as ir

from ..types import i32
from .context import LowerContext
from .ints import convert
from .ltypes import I32, PTR

_KSYMS = ".ksyms"
# struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)))
_ITER_SIZE = 8


def lower_iter_num(cx: LowerContext, node: ast.For) -> None:
    """The loop ``node`` over an open-coded numeric iterator."""
    info = cx.fi.loops[node]
    new, nxt, destroy = (kfunc(cx, n) for n in ("bpf_iter_num_new", "bpf_iter_num_next",
                                               "bpf_iter_num_destroy"))
    it = cx.alloca(ir.IntType(8 * _ITER_SIZE), "iter")
    it.align = 8
    first, last = info.start, info.stop
    assert isinstance(first, ast.expr) and isinstance(last, ast.expr), "iter_num(a, b) bounds"
    start = convert(cx.b, cx.expr(first), cx.fi.types[first], i32)
    stop = convert(cx.b, cx.expr(last), cx.fi.types[last], i32)
    cx.b.call(new, [it, start, stop])
    head = cx.fn.append_basic_block("iter.next")
    body = cx.fn.append_basic_block("iter.body")
    done = cx.fn.append_basic_block("iter.end")
    cx.b.branch(head)
    cx.b.position_at_end(head)
    p = cx.b.call(nxt, [it], name="iter.p")
    cx.b.cbranch(cx.b.icmp_unsigned("==", p, ir.Constant(PTR, None)), done, body)
    cx.b.position_at_end(body)
    cur = cx.b.load(p, typ=I32, name="i")
    target = cx.fi.names[node.target].target
    cx.b.store(convert(cx.b, cur, i32, target.type), cx.slot(target))
    cx.loop_targets.append((head, done))
    cx.block(node.body)
    cx.loop_targets.pop()
    if not cx.b.block.is_terminated:
        cx.b.branch(head)
    cx.b.position_at_end(done)
    cx.b.call(destroy, [it])


# name -> (return type, parameter types, debug: (return, [(param name, debug type)]))
def _signatures(cx: LowerContext) -> dict[str, tuple[ir.Type, list[ir.Type], Any]]:
    di = cx.ml.di
    it = di.cached(("kfunc", "bpf_iter_num *"), lambda: di.pointer(di.struct(
        "bpf_iter_num", [("__opaque", di.array(di.type_of_int(64), [1], 64), 64, 0)], 64)))
    cint = di.c_int()
    return {
        "bpf_iter_num_new": (I32, [PTR, I32, I32], (cint, [("it", it), ("start", cint),
                                                           ("end", cint)])),
        "bpf_iter_num_next": (PTR, [PTR], (di.pointer(cint), [("it", it)])),
        "bpf_iter_num_destroy": (ir.VoidType(), [PTR], (None, [("it", it)])),
    }


def kfunc_names(cx: LowerContext) -> set[str]:
    """The kfuncs :func:`kfunc` declares."""
    return set(_signatures(cx))


def kfunc(cx: LowerContext, name: str) -> ir.Function:
    """The extern declaration of kernel function ``name`` (made once per module)."""
    mod = cx.fn.module
    if name in mod.globals:
        return mod.globals[name]
    return declare_kfunc(cx, name, _signatures(cx)[name])


def declare_kfunc(cx: LowerContext, name: str,
                  sig: tuple[ir.Type, list[ir.Type], Any]) -> ir.Function:
    """Declare kernel function ``name`` with ``sig`` = (return type, parameter types, debug
    prototype (return, [(name, debug type)])): extern, in ``.ksyms``."""
    mod = cx.fn.module
    if name in mod.globals:
        return mod.globals[name]
    ret, params, (dret, dparams) = sig
    fn = ir.Function(mod, ir.FunctionType(ret, params), name)
    fn.section = _KSYMS
    fn.attributes.add("nounwind")
    fn.set_metadata("dbg", cx.ml.di.declaration(name, dret, dparams))
    return fn

