"""Differential tests: integer expressions in CPython (the contract's reference) vs the kernel.

LANGUAGE.md §3 fixes the integer semantics; :mod:`ebpfpy.types` implements them in CPython.
Random well-typed expressions over every integer type are generated with their types known
(``difftest.exprgen``), evaluated by our own evaluator, batched into one ``syscall`` program per
batch and run through ``BPF_PROG_TEST_RUN`` on edge and random inputs.  Any disagreement fails
with the expression, the inputs used, the expected and the kernel's value.

``EBPFPY_DIFF_SEED`` changes the seed (the default is fixed, so failures reproduce).
"""
from __future__ import annotations

import os
import random
from collections import Counter

import pytest

from difftest import exprgen as G
from difftest.harness import Batch, report, run_batch
from ebpfpy import libbpf as L
from ebpfpy.types import INT_TYPES

SEED = int(os.environ.get("EBPFPY_DIFF_SEED", "20260501"))
N_BATCHES = 8
EXPRS_PER_BATCH = 140           # integer expressions, plus IF_TESTS_PER_BATCH if-statements
IF_TESTS_PER_BATCH = 20
AUGMENTED_PER_BATCH = 24       # x op= y on ctx elements and annotated locals
RANDOM_INPUTS = 20


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


def systematic(batch: Batch) -> None:
    """Every operator on every type and every cast pair once, whatever the seed draws."""
    for t in G.TYPES:
        a, b, c = (G.Var(G.var_name(v, t), t) for v in G.VARS)
        for op in G.ARITH_OPS:
            batch.add(G.BinOp(op, a, b, t))
        for op in ("<<", ">>"):
            batch.add(G.Shift(op, a, G.Var(G.var_name("b", G.TYPES[(t.bits // 8) % 8]),
                                           G.TYPES[(t.bits // 8) % 8]), t))
            batch.add(G.Shift(op, a, G.Const(t.bits - 1, t), t))
        for op in ("-", "~", "abs"):
            batch.add(G.Unary(op, a, t))
        for fn in ("min", "max"):
            batch.add(G.MinMax(fn, a, b, t))
        for s in G.TYPES:
            batch.add(G.Cast(G.Var(G.var_name("c", s), s), t))
        batch.add(G.Cast(G.Compare([a, b, c], ["<", "<="]), t))
        batch.add(G.IfExp(G.Compare([a, b], ["=="]), b, c, t))
    for op in ("and", "or"):
        batch.conds.append(G.BoolOp(op, [G.Compare([G.Var("a_i8", INT_TYPES["i8"]),
                                                    G.Var("b_i64", INT_TYPES["i64"])], [">="]),
                                         G.Truthy(G.Var("c_u16", INT_TYPES["u16"]))]))
    batch.conds.append(G.Not(G.Truthy(G.Var("a_u64", INT_TYPES["u64"]))))


def make_batch(i: int) -> tuple[Batch, list[dict[str, int]]]:
    """Batch ``i``: its expressions and its input vectors, both from one seeded generator;
    batch 0 starts with the systematic cases."""
    rng = random.Random(SEED * 1000 + i)
    gen = G.ExprGen(rng, max_depth=3)
    batch = Batch()
    if i == 0:
        systematic(batch)
    for k in range(EXPRS_PER_BATCH):
        batch.add(gen.expr(G.TYPES[k % len(G.TYPES)]))
    batch.conds = [gen.cond(0) for _ in range(IF_TESTS_PER_BATCH)]
    for k in range(AUGMENTED_PER_BATCH):
        t = G.TYPES[k % len(G.TYPES)]
        node = gen._shift(t, 1) if k % 4 == 3 else gen._bin(t, 1)
        batch.add_augmented(node, "ctx" if k % 2 else "local")
    return batch, input_vectors(rng)


def input_vectors(rng: random.Random) -> list[dict[str, int]]:
    """Uniform vectors (all 0, all 1, all -1, all MIN, all MAX), the rotations of
    (MIN, -1, 0) over a, b, c, then mixed edge/random ones."""
    names = [(G.var_name(v, t), t) for v in G.VARS for t in G.TYPES]
    vecs = [{n: t.wrap(k) for n, t in names} for k in (0, 1, -1)]
    vecs += [{n: t.min for n, t in names}, {n: t.max for n, t in names}]
    # MIN // -1, x // 0 and MIN % -1 on every operand order the expressions use
    by_var = {"a": lambda t: t.min, "b": lambda t: t.wrap(-1), "c": lambda t: 0}
    vecs.append({G.var_name(v, t): by_var[v](t) for v in G.VARS for t in G.TYPES})
    by_var = {"a": lambda t: t.wrap(-1), "b": lambda t: 0, "c": lambda t: t.min}
    vecs.append({G.var_name(v, t): by_var[v](t) for v in G.VARS for t in G.TYPES})
    by_var = {"a": lambda t: 0, "b": lambda t: t.min, "c": lambda t: t.wrap(-1)}
    vecs.append({G.var_name(v, t): by_var[v](t) for v in G.VARS for t in G.TYPES})
    vecs += [{n: G.random_value(rng, t) for n, t in names} for _ in range(RANDOM_INPUTS)]
    return vecs


@pytest.mark.parametrize("i", range(N_BATCHES))
def test_random_expressions_agree_with_cpython(i: int) -> None:
    batch, inputs = make_batch(i)
    bad = run_batch(batch, inputs, filename=f"diff_batch{i}.py")
    assert not bad, report(bad)


def _walk(node: G.Node):
    yield node
    for v in vars(node).values():
        if isinstance(v, G.Node):
            yield from _walk(v)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, G.Node):
                    yield from _walk(x)


def test_generated_batches_cover_the_contract() -> None:
    """The random suite is only as good as its spread: every operator on every type, casts
    between every pair, chains, and/or/not, ternaries, bool casts, ≥ 1,000 expressions."""
    ops: Counter = Counter()
    total = 0
    for i in range(N_BATCHES):
        batch, _ = make_batch(i)
        roots = [n for lst in batch.slots.values() for n in lst] + batch.conds
        total += len(roots)
        for root in roots:
            for n in _walk(root):
                t = getattr(n.type, "name", "bool")
                if isinstance(n, (G.BinOp, G.Shift, G.Unary, G.MinMax)):
                    key = n.op if hasattr(n, "op") else n.fn
                    ops[(key, t)] += 1
                    if isinstance(n, G.Shift):
                        ops[("shift-" + ("const" if isinstance(n.count, G.Const) else "runtime"), t)] += 1
                elif isinstance(n, G.Cast):
                    ops[("cast", getattr(n.operand.type, "name", "bool"), t)] += 1
                elif isinstance(n, G.Compare):
                    ops[("chain" if len(n.ops) > 1 else "compare",)] += 1
                    for op in n.ops:
                        ops[("cmp", op)] += 1
                elif isinstance(n, (G.BoolOp, G.Not, G.Truthy, G.IfExp)):
                    ops[(type(n).__name__, getattr(n, "op", ""))] += 1
    assert total >= 1000
    missing = []
    for t in INT_TYPES:
        for op in G.ARITH_OPS + ("<<", ">>", "-", "~", "abs", "min", "max", "shift-const",
                                 "shift-runtime"):
            if ops[(op, t)] == 0:
                missing.append((op, t))
        for s in INT_TYPES:
            if ops[("cast", s, t)] == 0:
                missing.append(("cast", s, t))
        if ops[("cast", "bool", t)] == 0:
            missing.append(("bool cast", t))
    for key in [("chain",), ("compare",), ("BoolOp", "and"), ("BoolOp", "or"), ("Not", ""),
                ("Truthy", ""), ("IfExp", "")] + [("cmp", op) for op in G._CMP]:
        if ops[key] == 0:
            missing.append(key)
    assert not missing, f"the generator never produced: {missing}"


def test_evaluator_is_the_contract() -> None:
    """The reference itself, against the examples written in LANGUAGE.md §3."""
    i8, i32, u8 = INT_TYPES["i8"], INT_TYPES["i32"], INT_TYPES["u8"]
    a = G.Var("a_i32", i32)
    env = {"a_i32": -7, "a_i8": -128, "a_u8": 1}
    assert G.BinOp("//", a, G.Const(2, i32), i32).eval(env) == -4
    assert G.BinOp("%", a, G.Const(2, i32), i32).eval(env) == 1
    assert G.BinOp("//", a, G.Const(0, i32), i32).eval(env) == 0
    assert G.BinOp("%", a, G.Const(0, i32), i32).eval(env) == -7
    assert G.Unary("abs", G.Var("a_i8", i8), i8).eval(env) == -128
    assert G.BinOp("//", G.Var("a_i8", i8), G.Const(-1, i8), i8).eval(env) == -128
    assert G.Unary("-", G.Var("a_u8", u8), u8).eval(env) == 255
    assert G.Shift(">>", a, G.Const(1, i32), i32).eval(env) == -4
    assert G.Shift("<<", G.Var("a_u8", u8), G.Const(-1 % 8, u8), u8).eval(env) == 128
    assert G.Shift("<<", G.Var("a_u8", u8), G.Var("a_i32", i32), u8).eval(env) == 2  # -7 % 8 == 1


def _v(name: str) -> G.Var:
    return G.Var(name, INT_TYPES[name.split("_")[1]])


def _c(value: int, type_name: str) -> G.Const:
    return G.Const(value, INT_TYPES[type_name])


# Expressions that once failed to load or computed the wrong value (kept whatever the seed).
REGRESSIONS = [
    # a branchy ternary over two ctx fields became one load at ctx + select(c, 2, 0)
    G.IfExp(G.Compare([_v("c_u32"), _c(0, "u32")], [">"]), _v("b_u16"), _v("a_u16"), INT_TYPES["u16"]),
    # the branch-free ternary's mask trick was recognised as a select and did the same
    G.IfExp(G.Compare([_c(110, "u8"), _v("b_u8")], ["!="]), _v("b_u64"), _v("a_u64"), INT_TYPES["u64"]),
    # LLVM simplified this to select(c, load, load); instruction selection folded the loads
    G.BinOp("|", G.BinOp("&", _v("b_u8"), _v("a_u8"), INT_TYPES["u8"]),
            G.IfExp(G.Compare([_v("a_u64"), _c(5, "u64")], ["!="]), _v("b_u8"), _v("a_u8"),
                    INT_TYPES["u8"]), INT_TYPES["u8"]),
    G.IfExp(G.Compare([_v("a_i64"), _v("b_i64")], ["<"]), _v("c_i32"), _v("a_i32"), INT_TYPES["i32"]),
    # unsigned ==/!= as -(a ^ c) >> 63 (both zero-extended); signed ones keep (d | -d) >> 63
    G.IfExp(G.Compare([_v("c_u32"), _v("a_u32")], ["=="]), _v("b_u64"), _v("a_u64"), INT_TYPES["u64"]),
    G.IfExp(G.Compare([_v("b_u16"), _c(65535, "u16")], ["!="]), _v("b_u8"), _v("a_u8"), INT_TYPES["u8"]),
    G.IfExp(G.Compare([_v("c_i32"), _v("a_i32")], ["=="]), _v("b_u16"), _v("a_u16"), INT_TYPES["u16"]),
]


def test_regressions() -> None:
    batch = Batch()
    for node in REGRESSIONS:
        batch.add(node)
    rng = random.Random(SEED)
    inputs = input_vectors(rng)
    for a in (5, 6):                    # both sides of the a_u64 != 5 test
        inputs.append({**inputs[-1], "a_u64": a})
    last = inputs[-1]                   # the equal sides of the ==/!= cases, at their extremes
    for u32, u16, i32 in ((0xFFFFFFFF, 65535, -1), (0, 0, -(1 << 31))):
        inputs.append({**last, "a_u32": u32, "c_u32": u32, "b_u16": u16, "a_i32": i32, "c_i32": i32})
    bad = run_batch(batch, inputs, filename="diff_regressions.py")
    assert not bad, report(bad)
