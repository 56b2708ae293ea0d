"""Making an outlined loop's callback converge: the caller's state it changes becomes
unknown to the verifier at the start of each walk.

The verifier walks a ``bpf_loop`` callback again with the state each walk leaves, until a
walk comes back to a state within one it has seen.  It widens imprecise scalars to unknown
between walks, but never a precise one (a value that decided a branch or an index): a
counter the body changes (``tl.p += tl.q ^ tl.p``, ``al.q = ctx.a2 % al.q``) is a new
constant on every walk, and the walks go on until the budget runs out ("BPF program is too
large", fuzz seed 5 program 2268, seed 7700417 program 3330) although the loop has a few
iterations.  So the callback starts by adding a zero the verifier cannot know to every
scalar of the caller's stack the body may write (or pass by reference to a call): at run
time nothing changes; for the verifier each such value is unknown after the first walk, and
the second walk's state is within the first's.

The unknown zero comes from bpf_loop's index register: the verifier gives a callback's
first argument no range at all, though the kernel passes a u32, so ``(index >> 32) * K``
is 0 at run time and any value to the verifier (the product's range overflows).
"""
from __future__ import annotations

import ast

import llvmlite.ir as ir

from ..model.typed import Local
from ..model.walk import all_nodes
from ..types import ArrayType, BoolType, BpfType, IntType, RefType, StructType
from .context import LowerContext
from .ltypes import I8, I64, gep

MAX_SCALARS = 64            # a bigger state is left as it is (an array the body fills)
_K = (1 << 33) + 1          # (index >> 32) * K overflows the verifier's u64 range


def unknown_zero(cx: LowerContext, index: ir.Value) -> ir.Value:
    """0 at run time, no range for the verifier (``index``: the callback's raw i64 R1)."""
    asm = ir.InlineAsm(ir.FunctionType(I64, [I64]), "", "=r,0")
    hi = cx.b.lshr(cx.b.call(asm, [index], name="raw_index"), ir.Constant(I64, 32))
    k = cx.b.call(asm, [ir.Constant(I64, _K)], name="k")      # LLVM may not fold the mul
    return cx.b.mul(hi, k, name="unknown_zero")


def settle_state(cx: LowerContext, regions: list[ast.expr], index: ir.Value) -> None:
    """Add an unknown zero to each scalar of ``regions`` (see :func:`written_regions`)."""
    zero = unknown_zero(cx, index)
    budget = MAX_SCALARS
    for region in regions:
        t = _type_of(cx, region)
        leaves = list(_leaves(t, 0))
        if not leaves or len(leaves) > budget:
            continue
        budget -= len(leaves)
        base = _address(cx, region, t)
        for off, leaf in leaves:
            lt = cx.types.mem(leaf)
            p = gep(cx.b, base, [ir.Constant(I64, off)], I8, name="settle", inbounds=False) \
                if off else base
            v = cx.b.load(p, typ=lt)
            wide = cx.b.zext(v, I64) if lt.width < 64 else v
            out = cx.b.add(wide, zero)
            cx.b.store(cx.b.trunc(out, lt) if lt.width < 64 else out, p)


def written_regions(cx: LowerContext, body: list[ast.stmt]) -> list[ast.expr]:
    """The parts of the caller's stack ``body`` may write and whose value may become
    precise: assignment targets (an array for a runtime element), objects passed to calls
    (by reference: always), inner loops' variables; each once, as expressions that evaluate
    to the same place anywhere in the body."""
    fi = cx.fi
    found: dict[str, ast.expr] = {}
    byref: set[str] = set()

    def add(target: ast.expr) -> None:
        e = _region(cx, target)
        if e is not None and _in_caller_stack(cx, e):
            found.setdefault(ast.unparse(e), e)
    for st in body:
        for n in all_nodes(st):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    add(t)
            elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
                add(n.target)
            elif isinstance(n, ast.For):
                add(n.target)
            elif isinstance(n, ast.Call):
                for a in list(n.args) + [k.value for k in n.keywords]:
                    if isinstance(_deref(fi.types.get(a)), (StructType, ArrayType)):
                        add(a)
                        byref.add(ast.unparse(_region(cx, a) or a))
    sensitive = _sensitive(cx)
    return [e for text, e in found.items()
            if text in byref or any(_overlaps(text, r) for r in sensitive)]


def _overlaps(a: str, b: str) -> bool:
    """Whether the places spelled ``a`` and ``b`` share memory (one contains the other)."""
    return a == b or any(x.startswith(y) and x[len(y)] in ".[" for x, y in ((a, b), (b, a))
                         if len(x) > len(y))


def _sensitive(cx: LowerContext) -> set[str]:
    """Places of the function whose value may become precise for the verifier: read in a
    comparison, a test, an index, ``min``/``max``/``abs``, a call's argument or a return
    value, or stored into a place that is (a counter the body only adds to and stores
    elsewhere stays imprecise, and the verifier widens it between walks by itself)."""
    fi = cx.fi
    roots: list[ast.AST] = []
    flows: list[tuple[ast.expr, ast.AST]] = []
    for n in all_nodes(fi.node):
        if isinstance(n, ast.Compare):
            roots.append(n)
        elif isinstance(n, (ast.If, ast.While, ast.IfExp)):
            roots.append(n.test)
        elif isinstance(n, ast.BoolOp):
            roots.extend(n.values)
        elif isinstance(n, ast.Subscript):
            roots.append(n.slice)
        elif isinstance(n, ast.Return) and n.value is not None:
            roots.append(n.value)
        elif isinstance(n, ast.Call):
            c = fi.calls.get(n)
            if c is None or c.kind not in ("cast", "bool", "struct_new", "array_new"):
                roots.extend(list(n.args) + [k.value for k in n.keywords])
        elif isinstance(n, ast.Assign):
            flows.extend((t, n.value) for t in n.targets)
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)) and n.value is not None:
            flows.append((n.target, n.value))
    out = {ast.unparse(p) for r in roots for p in _places(r)}
    # each flow spelled once (unparsing the target for every sensitive place, at every round,
    # was a quarter of gol_step's lowering)
    spelled = [(ast.unparse(target), {ast.unparse(p) for p in _places(value)})
               for target, value in flows]
    changed = True
    while changed:              # what flows into a sensitive place is sensitive
        changed = False
        for target_s, value_places in spelled:
            if any(_overlaps(target_s, r) for r in out):
                new = value_places - out
                if new:
                    out |= new
                    changed = True
    return out


def _places(e: ast.AST) -> list[ast.expr]:
    """The names, fields and elements read in ``e`` (each outermost one)."""
    out: list[ast.expr] = []
    todo = [e]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript)):
            out.append(n)
            if isinstance(n, ast.Subscript):
                todo.append(n.slice)
            continue
        todo.extend(ast.iter_child_nodes(n))
    return out


def _region(cx: LowerContext, e: ast.expr) -> ast.expr | None:
    """``e`` without its runtime subscripts (the whole array stands for any element)."""
    inner = e
    while isinstance(inner, (ast.Attribute, ast.Subscript)):
        if isinstance(inner, ast.Subscript) and inner.slice not in cx.fi.consts:
            e = inner.value
        inner = inner.value
    if not isinstance(inner, ast.Name):
        return None
    return e


def _in_caller_stack(cx: LowerContext, e: ast.expr) -> bool:
    """A local of the frame, or a part of a struct or array the caller owns (or of a
    ``syscall`` ctx's stack copy), not a map value or a packet."""
    assert cx.frame is not None
    root = e
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    sym = cx.fi.names.get(root) if isinstance(root, ast.Name) else None
    if sym is None or not isinstance(sym.target, Local):
        return False
    loc = sym.target
    if loc.space == "ctx":
        return cx.fi.ctx_kind == "syscall" and e is not root
    # (a struct parameter may point into a map value, which the verifier does not track and
    # where a load and store of the same value could undo another CPU's write)
    return loc.space == "stack" and loc.param_index is None and loc in cx.frame.index


def _deref(t: BpfType | None) -> BpfType | None:
    """A struct or array local's type is a reference to the object."""
    return t.target if isinstance(t, RefType) else t


def _type_of(cx: LowerContext, e: ast.expr) -> BpfType | None:
    if isinstance(e, ast.Name) and e in cx.fi.names and isinstance(cx.fi.names[e].target, Local):
        return cx.fi.names[e].target.type
    return _deref(cx.fi.types.get(e))


def _address(cx: LowerContext, e: ast.expr, t: BpfType | None) -> ir.Value:
    if isinstance(t, (StructType, ArrayType)):
        return cx.expr(e)           # an aggregate evaluates to its address
    return cx.place(e)


def _leaves(t: BpfType | None, off: int) -> list[tuple[int, BpfType]]:
    """The integer and bool scalars of ``t`` with their byte offsets."""
    if isinstance(t, (IntType, BoolType)):
        return [(off, t)]
    if isinstance(t, StructType):
        return [x for f in t.fields for x in _leaves(f.type, off + f.offset)]
    if isinstance(t, ArrayType):
        out: list[tuple[int, BpfType]] = []
        for i in range(t.length):
            out.extend(_leaves(t.elem, off + i * t.elem.size))
            if len(out) > MAX_SCALARS:
                break
        return out
    return []
