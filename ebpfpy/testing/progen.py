"""Random well-typed DSL programs for differential testing (kernel vs ``ebpfpy.testing``).

Each generated :class:`ProgramSpec` is one ``"syscall"`` program whose ``@struct`` ctx holds
its inputs and outputs, with a HashMap, an Array map, a global, ``@bpf_function`` helpers
(integer parameters, and one taking a struct by reference), nested bounded loops with
``break``/``continue``, ``if``/``elif``/``else``, expressions over every integer type and array
indices that are provably in range.  Several specs render into one module (names carry the
spec's prefix) so one compile and one load serve a batch.

Choices come from any object with ``randint(a, b)`` and ``choice(seq)``: ``random.Random`` for
campaigns, or :class:`HypothesisChooser` so hypothesis can shrink a failing program.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..types import IntType, StructType, ArrayType, i8, i16, i32, i64, u8, u16, u32, u64

TYPES = [u8, u16, u32, u64, i8, i16, i32, i64]
ARITH = ["+", "-", "*", "//", "%", "&", "|", "^"]
CMP = ["<", "<=", ">", ">=", "==", "!="]
AUG = ["+=", "-=", "*=", "//=", "%=", "&=", "|=", "^=", "<<=", ">>="]
MAP_AUG = ["+=", "-=", "|=", "&=", "^="]
_CONST_CAST = re.compile(r"^[ui]\d+\(\(?-?\d+\)?\)$")
HEADER = ("from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, "
          "u8, u16, u32, u64, i8, i16, i32, i64\n")


class HypothesisChooser:
    """Adapts hypothesis' ``data.draw`` to the ``randint``/``choice`` interface (shrinks well)."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st    # lazy: hypothesis is a test extra
        self.data, self.st = data, st

    def randint(self, a: int, b: int) -> int:
        return self.data.draw(self.st.integers(a, b))

    def choice(self, seq: list) -> Any:
        return seq[self.data.draw(self.st.integers(0, len(seq) - 1))]


@dataclass
class Var:
    src: str
    type: IntType
    writable: bool = False
    loopvar: tuple[int, int] | None = None      # range of a range() variable


@dataclass
class Scope:
    vars: list[Var]
    in_program: bool
    loop_depth: int = 0
    funcs: list[tuple[str, list[IntType], IntType]] = field(default_factory=list)


@dataclass
class ProgramSpec:
    """One generated program: its pieces of source and what the harness needs to drive it."""

    prefix: str
    ctx_type: StructType
    inputs: list[tuple[str, IntType]]
    source_parts: list[str]
    hmap: str
    amap: str
    glob: str

    @property
    def prog(self) -> str:
        return f"{self.prefix}prog"

    def module(self) -> str:
        """This program alone as a module (a reproducer)."""
        return HEADER + "\n" + "\n".join(self.source_parts)


def batch_module(specs: list[ProgramSpec]) -> str:
    return HEADER + "\n" + "\n".join(p for s in specs for p in s.source_parts)


class Gen:
    """Generates one program; ``r`` supplies the choices."""

    def __init__(self, r: Any, prefix: str, known_issues: bool = False) -> None:
        self.r, self.p = r, prefix
        # False avoids constructs with open verifier issues (docs/testing.md): ctx fields
        # as a map-get default, a ctx field at offset 0, whole-struct stores into the ctx
        self.known_issues = known_issues
        self.n_locals = 0
        self.n_loops = 0
        self.hval = r.choice(TYPES)
        self.aval = r.choice(TYPES)
        self.gtype = r.choice(TYPES)
        self.inner_fields = [("p", r.choice(TYPES)), ("q", r.choice(TYPES))]
        self.arr_t = r.choice(TYPES)
        self.arr_n = r.choice([2, 3, 4])
        # functions that may delete or insert into the HashMap (E178: a lookup reference is
        # not used after such a call), and whether the function being generated does
        self.hm_writers: set[str] = set()
        self.writes_hm = False

    # ---------------------------------------------------------------- leaves
    def literal(self, t: IntType) -> str:
        r = self.r
        k = r.randint(0, 5)
        if k == 0:
            v = t.max
        elif k == 1:
            v = t.min if t.signed else t.max // 2 + 1
        elif k == 2:
            v = r.randint(t.min, t.max)
        else:
            v = r.randint(-8 if t.signed else 0, 8)
        return f"({v})" if v < 0 else str(v)

    def leaf(self, t: IntType, sc: Scope) -> str:
        r = self.r
        same = [v for v in sc.vars if v.type is t and v.loopvar is None]
        loopvars = [v for v in sc.vars if v.loopvar is not None]
        k = r.randint(0, 9)
        if k < 5 and same:
            return r.choice(same).src
        if k < 7 and loopvars:
            v = r.choice(loopvars)
            return f"{t.name}({v.src})"
        if k < 8 and sc.vars:
            v = r.choice(sc.vars)
            return f"{t.name}({v.src})"
        return f"{t.name}({self.literal(t)})"

    # ---------------------------------------------------------------- expressions
    def expr(self, t: IntType, sc: Scope, depth: int) -> str:
        """An expression whose type is exactly ``t``."""
        r = self.r
        if depth <= 0:
            return self.leaf(t, sc)
        k = r.randint(0, 21)
        d = depth - 1
        if k <= 4:
            op = r.choice(ARITH)
            if r.randint(0, 3) == 0:
                return f"({self.expr(t, sc, d)} {op} {self.literal(t)})"
            return f"({self.expr(t, sc, d)} {op} {self.expr(t, sc, d)})"
        if k == 5:
            op = r.choice(["<<", ">>"])
            if r.randint(0, 1):
                return f"({self.expr(t, sc, d)} {op} {r.randint(0, t.bits - 1)})"
            return f"({self.expr(t, sc, d)} {op} {self.count(sc, d)})"
        if k == 6:
            return f"({r.choice(['-', '~'])}{self.expr(t, sc, d)})"
        if k == 7:
            return f"{t.name}({self.expr(r.choice(TYPES), sc, d)})"
        if k == 8:
            return f"abs({self.expr(t, sc, d)})" if t.signed else f"min({self.expr(t, sc, d)}, {self.expr(t, sc, d)})"
        if k == 9:
            f = r.choice(["min", "max"])
            n = r.randint(2, 3)
            return f"{f}(" + ", ".join(self.expr(t, sc, d) for _ in range(n)) + ")"
        if k == 10:
            return f"({self.expr(t, sc, d)} if {self.cond(sc, d)} else {self.expr(t, sc, d)})"
        if k == 11:
            return f"{t.name}({self.cond(sc, d)})"
        if k == 12:
            return self.map_read(t, sc, d)
        if k == 13 and sc.funcs:
            return self.call(t, sc, d)
        if k == 14 and sc.in_program:
            return f"{t.name}({self.array_ref(sc, d)})"
        if k == 15 and sc.in_program:
            return f"{t.name}({r.choice(['ctx', 'w'])}.s.{r.choice(['p', 'q'])})"
        if k == 16:
            return f"{t.name}({self.p}g)"
        if k == 18 and sc.in_program and r.randint(0, 1):
            return f"{t.name}(w.grid[{self.index(sc, 2, d)}][{self.index(sc, 3, d)}])"
        if k == 19 and sc.in_program and r.randint(0, 2) == 0:
            return f"{t.name}(helpers.loop({r.randint(0, 6)}, {self.p}cb, {r.choice(['w.s', 'al', 'tl'])}))"
        if k == 17:
            # a mix of a flexible literal on either side
            return f"({self.literal(t)} {r.choice(ARITH)} {self.expr(t, sc, d)})"
        return self.leaf(t, sc)

    def array_ref(self, sc: Scope, depth: int) -> str:
        """An element of ``ctx.arr`` (constant index: the verifier allows only constant ctx
        offsets) or of the stack copy ``w.arr`` (any provably in-range index)."""
        if self.r.randint(0, 2) == 0:
            return f"ctx.arr[{self.r.randint(-self.arr_n, self.arr_n - 1)}]"
        return f"w.arr[{self.index(sc, self.arr_n, depth)}]"

    def count(self, sc: Scope, depth: int) -> str:
        """A runtime shift count of any type (a cast of a constant would be a constant count)."""
        c = self.expr(self.r.choice(TYPES), sc, depth)
        if _CONST_CAST.match(c):
            vs = [v for v in sc.vars if v.loopvar is None]
            return f"{self.r.choice(TYPES).name}({self.r.choice(vs).src})" if vs else "u8(1)"
        return c

    def index(self, sc: Scope, n: int, depth: int) -> str:
        """An index provably in ``[0, n)`` (or a negative constant counting from the end)."""
        r = self.r
        k = r.randint(0, 4)
        loopvars = [v for v in sc.vars if v.loopvar and 0 <= v.loopvar[0] <= v.loopvar[1] < n]
        if k == 0 and loopvars:
            return r.choice(loopvars).src
        if k == 1:
            return str(r.randint(-n, n - 1))
        if k == 2 and n in (2, 4):
            return f"({self.expr(r.choice(TYPES), sc, depth)} & {n - 1})"
        return f"(u32({self.expr(r.choice(TYPES), sc, depth)}) % {n})"

    def cond(self, sc: Scope, depth: int) -> str:
        r = self.r
        d = max(depth - 1, 0)
        k = r.randint(0, 9)
        if k <= 3:
            t = r.choice(TYPES)
            return f"{self.expr(t, sc, d)} {r.choice(CMP)} {self.expr(t, sc, d)}"
        if k == 4:
            t = r.choice(TYPES)
            return (f"{self.expr(t, sc, d)} {r.choice(['<', '<='])} {self.expr(t, sc, d)} "
                    f"{r.choice(['<', '<=', '!='])} {self.expr(t, sc, d)}")
        if k == 5:
            return f"({self.cond(sc, d)} {r.choice(['and', 'or'])} {self.cond(sc, d)})"
        if k == 6:
            return f"not ({self.cond(sc, d)})"
        if k == 7:
            return f"{self.key(sc, d)} {r.choice(['in', 'not in'])} {self.p}{r.choice(['hm', 'am'])}"
        if k == 8:
            if sc.in_program and r.randint(0, 1):
                return r.choice(["fl", "not fl"])
            return f"bool({self.expr(r.choice(TYPES), sc, d)})"
        return f"{self.expr(r.choice(TYPES), sc, d)} != 0"

    def key(self, sc: Scope, depth: int) -> str:
        r = self.r
        if r.randint(0, 2) == 0:
            return f"u32({r.randint(0, 7)})"
        return f"(u32({self.expr(r.choice(TYPES), sc, max(depth - 1, 0))}) % 7)"

    def map_read(self, t: IntType, sc: Scope, d: int) -> str:
        r = self.r
        m, vt = r.choice([("hm", self.hval), ("am", self.aval)])
        k = self.key(sc, d)
        if r.randint(0, 1):
            return f"{t.name}({self.p}{m}[{k}])"
        dflt = self.expr(vt, sc, 0) if self.known_issues else f"{vt.name}({self.literal(vt)})"
        return f"{t.name}({self.p}{m}.get({k}, {dflt}))"

    def call(self, t: IntType, sc: Scope, d: int) -> str:
        name, params, ret = self.r.choice(sc.funcs)
        self.writes_hm |= name in self.hm_writers
        args = ", ".join(self.expr(pt, sc, max(d - 1, 0)) for pt in params)
        return f"{t.name}({name}({args}))" if ret is not t else f"{name}({args})"

    # ---------------------------------------------------------------- statements
    def stmts(self, sc: Scope, n: int, depth: int, top: bool, ind: str) -> list[str]:
        out: list[str] = []
        for _ in range(n):
            out += self.stmt(sc, depth, top, ind)
        return out or [ind + "pass"]

    def stmt(self, sc: Scope, depth: int, top: bool, ind: str) -> list[str]:
        r = self.r
        k = r.randint(0, 15)
        ed = r.randint(1, 3)
        writable = [v for v in sc.vars if v.writable]
        if k <= 2 and top:
            t = r.choice(TYPES)
            name = f"v{self.n_locals}"
            self.n_locals += 1
            line = f"{ind}{name}: {t.name} = {self.expr(t, sc, ed)}"
            sc.vars.append(Var(name, t, writable=True))
            return [line]
        if k <= 4 and writable:
            v = r.choice(writable)
            if r.randint(0, 1):
                return [f"{ind}{v.src} = {self.expr(v.type, sc, ed)}"]
            op = r.choice(AUG)
            if op in ("<<=", ">>="):
                return [f"{ind}{v.src} {op} {self.count(sc, ed)}"]
            return [f"{ind}{v.src} {op} {self.expr(v.type, sc, ed)}"]
        if k == 5:
            m, vt = r.choice([("hm", self.hval), ("am", self.aval)])
            self.writes_hm |= m == "hm"
            return [f"{ind}{self.p}{m}[{self.key(sc, ed)}] = {self.expr(vt, sc, ed)}"]
        if k == 6:
            m, vt = r.choice([("hm", self.hval), ("am", self.aval)])
            self.writes_hm |= m == "hm"
            return [f"{ind}{self.p}{m}[{self.key(sc, ed)}] {r.choice(MAP_AUG)} {self.expr(vt, sc, ed)}"]
        if k == 7:
            self.writes_hm = True
            return [f"{ind}del {self.p}hm[{self.key(sc, ed)}]"]
        if k == 8:
            m, vt = r.choice([("hm", self.hval), ("am", self.aval)])
            ref = f"r{self.n_locals}"
            self.n_locals += 1
            line = f"{ind}{ref} = {self.p}{m}.lookup({self.key(sc, ed)})"
            # the value is computed between the read and the write through ref: no call that
            # may free ref's element there (E178)
            vsc = sc if m == "am" else Scope(sc.vars, sc.in_program, sc.loop_depth,
                                             [f for f in sc.funcs if f[0] not in self.hm_writers])
            return [line, f"{ind}if {ref} is not None:",
                    f"{ind}    {ref}.value {r.choice(MAP_AUG)} {self.expr(vt, vsc, ed)}"]
        if k == 9:
            return [f"{ind}{self.p}g_set({self.expr(self.gtype, sc, ed)})"]
        if k == 10 and depth > 0:
            return self.if_stmt(sc, depth, ind)
        if k == 11 and depth > 0 and sc.loop_depth < 2:
            return self.for_stmt(sc, depth, ind)
        if k == 12 and sc.loop_depth > 0:
            return [f"{ind}if {self.cond(sc, 1)}:", f"{ind}    {r.choice(['break', 'continue'])}"]
        if k == 13 and sc.in_program:
            if r.randint(0, 2) == 0:
                return [f"{ind}w.grid[{self.index(sc, 2, ed)}][{self.index(sc, 3, ed)}] "
                        f"{r.choice(['=', '+=', '^='])} {self.expr(i16, sc, ed)}"]
            return [f"{ind}{self.array_ref(sc, ed)} = {self.expr(self.arr_t, sc, ed)}"]
        if k == 14 and sc.in_program:
            f, ft = r.choice(self.inner_fields)
            if r.randint(0, 1):
                return [f"{ind}{r.choice(['ctx', 'w'])}.s.{f} = {self.expr(ft, sc, ed)}"]
            return [f"{ind}{self.p}mut(w.s, {self.expr(self.inner_fields[0][1], sc, ed)})"]
        if k == 15 and sc.in_program and r.randint(0, 2) == 0:
            return [f"{ind}if {self.cond(sc, 1)}:",
                    f"{ind}    return {self.expr(r.choice(TYPES), sc, ed)}"]
        writable_any = [v for v in sc.vars if v.writable]
        if writable_any:
            v = r.choice(writable_any)
            return [f"{ind}{v.src} = {self.expr(v.type, sc, ed)}"]
        return [f"{ind}{self.p}g_set({self.expr(self.gtype, sc, ed)})"]

    def if_stmt(self, sc: Scope, depth: int, ind: str) -> list[str]:
        r = self.r
        out = [f"{ind}if {self.cond(sc, 2)}:"] + self.stmts(sc, r.randint(1, 3), depth - 1, False, ind + "    ")
        for _ in range(r.randint(0, 2)):
            out += [f"{ind}elif {self.cond(sc, 2)}:"] + self.stmts(sc, r.randint(1, 2), depth - 1, False, ind + "    ")
        if r.randint(0, 1):
            out += [f"{ind}else:"] + self.stmts(sc, r.randint(1, 2), depth - 1, False, ind + "    ")
        return out

    def for_stmt(self, sc: Scope, depth: int, ind: str) -> list[str]:
        r = self.r
        name = f"i{self.n_loops}"
        self.n_loops += 1
        k = r.randint(0, 3)
        if k == 0:
            lo, hi, step = 0, r.randint(0, 6), 1
            rng = f"range({hi})"
        elif k == 1:
            lo, hi, step = r.randint(-3, 3), r.randint(-3, 6), 1
            rng = f"range({lo}, {hi})"
        elif k == 2:
            lo, hi, step = r.randint(0, 6), r.randint(-2, 2), -1
            rng = f"range({lo}, {hi}, -1)"
        else:
            lo, hi, step = r.randint(0, 2), r.randint(3, 9), r.choice([2, 3])
            rng = f"range({lo}, {hi}, {step})"
        vr = (lo, hi - 1) if step > 0 else (hi + 1, lo)
        v = Var(name, i64, loopvar=vr)
        sc.vars.append(v)
        sc.loop_depth += 1
        body = self.stmts(sc, r.randint(1, 4), depth - 1, False, ind + "    ")
        sc.loop_depth -= 1
        sc.vars.remove(v)
        return [f"{ind}for {name} in {rng}:"] + body

    # ---------------------------------------------------------------- the program
    def generate(self) -> ProgramSpec:
        r, p = self.r, self.p
        inputs = [(f"a{j}", r.choice(TYPES)) for j in range(r.randint(2, 4))]
        outputs = [(f"o{j}", r.choice(TYPES)) for j in range(r.randint(1, 3))]
        inner = StructType(f"{p}Inner", self.inner_fields)
        # the syscall ctx lives on the stack while the program runs (frontend/rules.py
        # staged_ctx_size), so fields at offset 0, whole-struct stores and runtime indices
        # into the ctx are generated like any other access
        pad: list[tuple[str, Any]] = []
        members: list[tuple[str, Any]] = pad + list(inputs) + list(outputs)
        members += [("arr", ArrayType(self.arr_t, self.arr_n)), ("s", inner)]
        ctx_t = StructType(f"{p}Ctx", members)
        parts = [f"@struct\nclass {p}Inner:\n" + "".join(f"    {n}: {t.name}\n" for n, t in self.inner_fields)]
        parts.append(f"@struct\nclass {p}Ctx:\n" + "".join(f"    {n}: {t.name}\n" for n, t in pad + inputs + outputs)
                     + f"    arr: {self.arr_t.name}[{self.arr_n}]\n    s: {p}Inner\n")
        parts.append(f"@struct\nclass {p}Work:\n    arr: {self.arr_t.name}[{self.arr_n}]\n    s: {p}Inner\n"
                     f"    grid: i16[2][3]\n")
        parts.append(f"{p}hm = HashMap(u32, {self.hval.name}, max_entries=4)\n"
                     f"{p}am = Array({self.aval.name}, 4)\n{p}g: {self.gtype.name} = 0\n")
        parts.append(f"@bpf_function\ndef {p}g_set(v: {self.gtype.name}) -> None:\n"
                     f"    global {p}g\n    {p}g = {p}g + v\n")
        funcs: list[tuple[str, list[IntType], IntType]] = []
        for j in range(r.randint(0, 2)):
            params = [r.choice(TYPES) for _ in range(r.randint(1, 3))]
            ret = r.choice(TYPES)
            sc = Scope([Var(f"x{q}", t, writable=True) for q, t in enumerate(params)], False,
                       funcs=list(funcs))
            self.writes_hm = False
            body = self.stmts(sc, r.randint(0, 3), 2, True, "    ")
            name = f"{p}f{j}"
            parts.append(f"@bpf_function\ndef {name}(" + ", ".join(f"x{q}: {t.name}" for q, t in enumerate(params))
                         + f") -> {ret.name}:\n" + "\n".join(body) + f"\n    return {self.expr(ret, sc, 2)}\n")
            funcs.append((name, params, ret))
            if self.writes_hm:
                self.hm_writers.add(name)
        pt = self.inner_fields[0][1]
        msc = Scope([Var("v", pt)], False)
        parts.append(f"@bpf_function\ndef {p}mut(s: {p}Inner, v: {pt.name}) -> None:\n"
                     f"    s.p = s.p {r.choice(ARITH)} v\n"
                     f"    s.q = {self.expr(self.inner_fields[1][1], msc, 1)}\n")
        pt0, qt0 = self.inner_fields[0][1], self.inner_fields[1][1]
        parts.append(f"@bpf_function\ndef {p}cb(i: u32, s: {p}Inner) -> int:\n"
                     f"    s.p = s.p {r.choice(['+', '^', '-'])} {pt0.name}(i)\n"
                     f"    if i >= u32({r.randint(0, 5)}):\n        return 1\n    return 0\n")
        vars_ = [Var(f"{o}.{f}", t, writable=True) for o in ("tl", "al") for f, t in self.inner_fields]
        vars_ += [Var(f"ctx.{n}", t) for n, t in inputs]
        vars_ += [Var(f"ctx.{n}", t, writable=True) for n, t in outputs]
        sc = Scope(vars_, True, funcs=funcs)
        psc = Scope([Var(f"ctx.{n}", t) for n, t in inputs], False)
        body = [f"    w = {p}Work()", "    w.arr = ctx.arr", "    w.s = ctx.s",
                f"    tl = {p}Inner(p={self.expr(pt0, psc, 1)}, q={self.expr(qt0, psc, 1)})",
                f"    al = {r.choice(['w.s', 'tl'])}",
                f"    fl: bool = {self.cond(psc, 1)}"]
        body += self.stmts(sc, r.randint(2, 8), 3, True, "    ")
        body += ["    ctx.arr = w.arr" if r.randint(0, 1) else "    pass",
                 "    ctx.s = w.s" if r.randint(0, 1) else "    pass"]
        body.append(f"    return {self.expr(r.choice(TYPES), sc, 2)}")
        parts.append(f'@bpf_program("syscall")\ndef {p}prog(ctx: {p}Ctx) -> int:\n' + "\n".join(body) + "\n")
        return ProgramSpec(p, ctx_t, inputs, parts, f"{p}hm", f"{p}am", f"{p}g")


def generate(r: Any, prefix: str = "p0_", known_issues: bool = False) -> ProgramSpec:
    """One random program (names start with ``prefix``); ``known_issues`` also generates the
    constructs whose verifier rejections are still open."""
    return Gen(r, prefix, known_issues).generate()


def random_inputs(r: Any, spec: ProgramSpec) -> dict[str, Any]:
    """A ctx value for ``spec``: inputs biased toward edge values, the rest random too."""
    def val(t: IntType) -> int:
        return r.choice([0, 1, t.max, t.min, r.randint(t.min, t.max), r.randint(-3, 3) if t.signed else 2,
                         r.randint(t.min, t.max)])
    out: dict[str, Any] = {}
    for f in spec.ctx_type.fields:
        if isinstance(f.type, IntType):
            out[f.name] = val(f.type)
        elif isinstance(f.type, ArrayType):
            out[f.name] = [val(f.type.elem) for _ in range(f.type.length)]     # type: ignore[arg-type]
        else:
            out[f.name] = {g.name: val(g.type) for g in f.type.fields}          # type: ignore[attr-defined]
    return out

