"""Batch many expressions into one ``syscall`` program and compare kernel and CPython results.

The program's ctx is a ``@struct`` with the inputs ``a_T, b_T, c_T`` for every integer type
``T`` and one output array ``o_T`` per type; expression ``k`` of type ``T`` writes
``ctx.o_T[k]``.  One compile and one load serve every input vector of a batch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject
from ebpfpy.types import IntType, StructType, u8

from .exprgen import TYPES, VARS, Node, var_name

HEADER = "from ebpfpy import bpf_program, struct, u8, u16, u32, u64, i8, i16, i32, i64\n"


@dataclass
class Batch:
    """Expressions grouped by result type: ``slots[T][k]`` writes ``ctx.o_T[k]``."""

    slots: dict[IntType, list[Node]] = field(default_factory=lambda: {t: [] for t in TYPES})
    conds: list[Node] = field(default_factory=list)        # ``if`` tests: o_cond[k] = 1 or 2
    # slots written as statements: "ctx" (``o[k] = x; o[k] op= y``) or "local" (through
    # an annotated local); the node is a BinOp or Shift whose left operand is the start value
    styles: dict[tuple[IntType, int], str] = field(default_factory=dict)

    def add_augmented(self, node: Node, style: str) -> None:
        """``node`` (BinOp/Shift) written as an augmented assignment on a ctx element or local."""
        self.styles[self.add(node)] = style

    def add(self, node: Node) -> tuple[IntType, int]:
        lst = self.slots[node.type]
        lst.append(node)
        return node.type, len(lst) - 1

    def __len__(self) -> int:
        return sum(len(v) for v in self.slots.values()) + len(self.conds)

    def _store(self, t: IntType, k: int, n: Node) -> list[str]:
        dst, style = f"ctx.o_{t.name}[{k}]", self.styles.get((t, k))
        if style is None:
            return [f"    {dst} = {n.src()}"]
        rhs = n.right if hasattr(n, "right") else n.count
        if style == "ctx":
            return [f"    {dst} = {n.left.src()}", f"    {dst} {n.op}= {rhs.src()}"]
        var = f"v_{t.name}_{k}"
        return [f"    {var}: {t.name} = {n.left.src()}", f"    {var} {n.op}= {rhs.src()}",
                f"    {dst} = {var}"]

    def ctx_type(self) -> StructType:
        members: list[tuple[str, object]] = []
        for v in VARS:
            members += [(var_name(v, t), t) for t in TYPES]
        members += [(f"o_{t.name}", t[max(1, len(self.slots[t]))]) for t in TYPES]
        members.append(("o_cond", u8[max(1, len(self.conds))]))
        return StructType("Args", members)

    def source(self) -> str:
        lines = [HEADER, "", "@struct", "class Args:"]
        for v in VARS:
            lines += [f"    {var_name(v, t)}: {t.name}" for t in TYPES]
        lines += [f"    o_{t.name}: {t.name}[{max(1, len(self.slots[t]))}]" for t in TYPES]
        lines.append(f"    o_cond: u8[{max(1, len(self.conds))}]")
        lines += ["", "", '@bpf_program("syscall")', "def run(ctx: Args) -> int:"]
        for t in TYPES:
            for k, n in enumerate(self.slots[t]):
                lines += self._store(t, k, n)
        for k, c in enumerate(self.conds):
            lines += [f"    if {c.src()}:", f"        ctx.o_cond[{k}] = 1",
                      "    else:", f"        ctx.o_cond[{k}] = 2"]
        lines.append("    return 0")
        return "\n".join(lines) + "\n"


@dataclass
class Mismatch:
    expr: str
    type: str
    inputs: dict[str, int]
    expected: int
    got: int

    def __str__(self) -> str:
        used = {k: v for k, v in self.inputs.items() if k in self.expr}
        return f"{self.type}: {self.expr}\n    inputs {used}\n    expected {self.expected}, kernel {self.got}"


def run_batch(batch: Batch, inputs: list[dict[str, int]], filename: str = "diff.py") -> list[Mismatch]:
    """Compile and load ``batch``, run it on every input vector, return every disagreement."""
    src = batch.source()
    compiled = compile_full(source=src, filename=filename)
    ctype = batch.ctx_type()
    bad: list[Mismatch] = []
    with BpfObject(compiled.elf, compiled=compiled) as obj:
        prog = obj.programs.run
        for env in inputs:
            value = dict(env)
            value.update({f"o_{t.name}": [0] * max(1, len(batch.slots[t])) for t in TYPES})
            value["o_cond"] = [0] * max(1, len(batch.conds))
            r = prog.test_run(ctx=ctype.pack(value))
            assert r.retval == 0
            out = ctype.unpack(r.ctx)
            for t in TYPES:
                for k, node in enumerate(batch.slots[t]):
                    want, got = node.eval(env), out[f"o_{t.name}"][k]
                    if want != got:
                        bad.append(Mismatch(node.src(), t.name, env, want, got))
            for k, c in enumerate(batch.conds):
                want, got = (1 if c.eval(env) else 2), out["o_cond"][k]
                if want != got:
                    bad.append(Mismatch("if " + c.src(), "if", env, want, got))
    return bad


def report(bad: list[Mismatch], limit: int = 15) -> str:
    """The first ``limit`` disagreements, one per distinct expression."""
    seen: dict[str, Mismatch] = {}
    for m in bad:
        seen.setdefault(m.expr, m)
    lines = [f"{len(bad)} disagreements over {len(seen)} expressions:"]
    lines += [str(m) for m in list(seen.values())[:limit]]
    return "\n".join(lines)
