"""Random well-typed integer expressions with their expected values (LANGUAGE.md §3).

Every node knows its static type (an :class:`~ebpfpy.types.IntType`, or ``BOOL`` for
conditions) as the generator builds it, its Python source text, and how to evaluate itself
over an environment ``{variable name: value}`` with the contract's semantics.  Nothing here
asks the compiler for a type: the rules are restated from the contract, so a compiler that
types an expression differently produces a different value and the test fails.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from ebpfpy.types import BOOL, INT_TYPES, IntType, common_int

TYPES: list[IntType] = list(INT_TYPES.values())
VARS = ("a", "b", "c")


def var_name(v: str, t: IntType) -> str:
    """The local (and ctx field) holding input ``v`` of type ``t``: ``a_u8``."""
    return f"{v}_{t.name}"


class Node:
    type: object

    def src(self) -> str:
        raise NotImplementedError

    def eval(self, env: dict[str, int]) -> int:
        raise NotImplementedError


@dataclass
class Var(Node):
    name: str
    type: IntType

    def src(self) -> str:
        # Read from ctx each time, not from locals: then no range the verifier learnt in
        # one expression's branches survives into the next, its states prune at every
        # statement, and a batch of hundreds of branchy expressions stays far below 1M.
        return "ctx." + self.name

    def eval(self, env):
        return env[self.name]


@dataclass
class Const(Node):
    """A literal; it takes the type of the other operand (``type`` is that operand's type)."""
    value: int
    type: IntType

    def src(self) -> str:
        return f"({self.value})" if self.value < 0 else str(self.value)

    def eval(self, env):
        return self.value


def _arith(op: str) -> Callable[[IntType, int, int], int]:
    return {
        "+": lambda t, a, b: t.wrap(a + b),
        "-": lambda t, a, b: t.wrap(a - b),
        "*": lambda t, a, b: t.wrap(a * b),
        "//": lambda t, a, b: t.floordiv(a, b),
        "%": lambda t, a, b: t.mod(a, b),
        "&": lambda t, a, b: t.wrap(a & b),
        "|": lambda t, a, b: t.wrap(a | b),
        "^": lambda t, a, b: t.wrap(a ^ b),
    }[op]


ARITH_OPS = ("+", "-", "*", "//", "%", "&", "|", "^")


@dataclass
class BinOp(Node):
    op: str
    left: Node
    right: Node
    type: IntType

    def src(self) -> str:
        return f"({self.left.src()} {self.op} {self.right.src()})"

    def eval(self, env):
        return _arith(self.op)(self.type, self.left.eval(env), self.right.eval(env))


@dataclass
class Shift(Node):
    op: str                     # "<<" or ">>"
    left: Node
    count: Node                 # any integer type, or a Const in [0, width)
    type: IntType

    def src(self) -> str:
        return f"({self.left.src()} {self.op} {self.count.src()})"

    def eval(self, env):
        a, n = self.left.eval(env), self.count.eval(env)
        return self.type.shl(a, n) if self.op == "<<" else self.type.shr(a, n)


@dataclass
class Unary(Node):
    op: str                     # "-", "~", "abs"
    operand: Node
    type: IntType

    def src(self) -> str:
        if self.op == "abs":
            return f"abs({self.operand.src()})"
        return f"({self.op}{self.operand.src()})"

    def eval(self, env):
        v = self.operand.eval(env)
        return self.type.wrap({"-": -v, "~": ~v, "abs": abs(v)}[self.op])


@dataclass
class MinMax(Node):
    fn: str
    left: Node
    right: Node
    type: IntType

    def src(self) -> str:
        return f"{self.fn}({self.left.src()}, {self.right.src()})"

    def eval(self, env):
        f = min if self.fn == "min" else max
        return f(self.left.eval(env), self.right.eval(env))


@dataclass
class Cast(Node):
    operand: Node               # an integer or a bool (a condition)
    type: IntType

    def src(self) -> str:
        return f"{self.type.name}({self.operand.src()})"

    def eval(self, env):
        return self.type.wrap(int(self.operand.eval(env)))


@dataclass
class IfExp(Node):
    cond: Node
    then: Node
    other: Node
    type: IntType

    def src(self) -> str:
        return f"({self.then.src()} if {self.cond.src()} else {self.other.src()})"

    def eval(self, env):
        return self.then.eval(env) if self.cond.eval(env) else self.other.eval(env)


# ------------------------------------------------------------------ conditions (bool)
_CMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


@dataclass
class Compare(Node):
    """``x0 op0 x1 op1 x2 ...``: a chain, each operand evaluated once, short-circuiting."""
    operands: list[Node]
    ops: list[str]
    type: object = BOOL

    def src(self) -> str:
        parts = [self.operands[0].src()]
        for op, x in zip(self.ops, self.operands[1:]):
            parts += [op, x.src()]
        return "(" + " ".join(parts) + ")"

    def eval(self, env):
        vals = [x.eval(env) for x in self.operands]
        return all(_CMP[op](vals[i], vals[i + 1]) for i, op in enumerate(self.ops))


@dataclass
class BoolOp(Node):
    op: str                     # "and" / "or"
    values: list[Node]
    type: object = BOOL

    def src(self) -> str:
        return "(" + f" {self.op} ".join(v.src() for v in self.values) + ")"

    def eval(self, env):
        vals = [bool(v.eval(env)) for v in self.values]
        return all(vals) if self.op == "and" else any(vals)


@dataclass
class Not(Node):
    operand: Node
    type: object = BOOL

    def src(self) -> str:
        return f"(not {self.operand.src()})"

    def eval(self, env):
        return not self.operand.eval(env)


@dataclass
class Truthy(Node):
    """An integer used as a condition means ``!= 0``."""
    operand: Node
    type: object = BOOL

    def src(self) -> str:
        return self.operand.src()

    def eval(self, env):
        return self.operand.eval(env) != 0


# ------------------------------------------------------------------ the generator
def edge_values(t: IntType) -> list[int]:
    """0, 1, -1 (wrapped), MIN, MAX, their neighbours and a few small divisors/counts."""
    vals = {0, 1, t.wrap(-1), t.min, t.max, t.wrap(t.min + 1), t.wrap(t.max - 1), 2, 3, 7,
            t.wrap(-2), t.wrap(-7), t.bits - 1, t.bits, t.bits + 1}
    return sorted(vals)


def random_value(rng: random.Random, t: IntType) -> int:
    """An edge value two times in three, else a uniformly random value of ``t``."""
    if rng.random() < 0.67:
        return rng.choice(edge_values(t))
    return rng.randint(t.min, t.max)


class ExprGen:
    """Builds random expressions of a requested type, following §3's typing rules."""

    def __init__(self, rng: random.Random, max_depth: int = 3) -> None:
        self.rng = rng
        self.max_depth = max_depth

    # integers -----------------------------------------------------------------
    def expr(self, t: IntType, depth: int = 0) -> Node:
        r = self.rng
        if depth >= self.max_depth or r.random() < 0.2:
            return self.var(t)
        kind = r.choices(["bin", "shift", "unary", "minmax", "cast", "ifexp", "boolcast"],
                         weights=[40, 12, 10, 8, 12, 8, 4])[0]
        return getattr(self, "_" + kind)(t, depth + 1)

    def var(self, t: IntType) -> Var:
        return Var(var_name(self.rng.choice(VARS), t), t)

    def const(self, t: IntType) -> Const:
        return Const(random_value(self.rng, t), t)

    def narrower_or_same(self, t: IntType) -> IntType:
        """A type of ``t``'s signedness no wider than ``t`` (mixing gives the wider)."""
        return self.rng.choice([s for s in TYPES if s.signed == t.signed and s.bits <= t.bits])

    def operand_pair(self, t: IntType, depth: int) -> tuple[Node, Node]:
        """Two operands whose common type is ``t``: one of type ``t``, the other of ``t``,
        a narrower type of the same signedness, or a literal that fits ``t``."""
        r = self.rng
        main = self.expr(t, depth)
        roll = r.random()
        if roll < 0.25:
            other: Node = self.const(t)
        elif roll < 0.55:
            other = self.expr(self.narrower_or_same(t), depth)
        else:
            other = self.expr(t, depth)
        return (main, other) if r.random() < 0.5 else (other, main)

    def _bin(self, t, depth):
        op = self.rng.choice(ARITH_OPS)
        left, right = self.operand_pair(t, depth)
        return BinOp(op, left, right, t)

    def _shift(self, t, depth):
        left = self.expr(t, depth)
        if self.rng.random() < 0.4:
            count: Node = Const(self.rng.randrange(t.bits), t)
        else:
            count = self.expr(self.rng.choice(TYPES), depth)
        return Shift(self.rng.choice(("<<", ">>")), left, count, t)

    def _unary(self, t, depth):
        return Unary(self.rng.choice(("-", "~", "abs")), self.expr(t, depth), t)

    def _minmax(self, t, depth):
        left, right = self.operand_pair(t, depth)
        return MinMax(self.rng.choice(("min", "max")), left, right, t)

    def _cast(self, t, depth):
        return Cast(self.expr(self.rng.choice(TYPES), depth), t)

    def _boolcast(self, t, depth):
        # outside a condition an integer is not a truth value (and/or/not on one is an error)
        return Cast(self.cond(depth, ints_ok=False), t)

    def _ifexp(self, t, depth):
        return IfExp(self.cond(depth), self.expr(t, depth), self.expr(t, depth), t)

    # conditions ---------------------------------------------------------------------
    def cond(self, depth: int, ints_ok: bool = True) -> Node:
        """A bool; with ``ints_ok`` (a condition: an ``if`` test) integers may stand for ``!= 0``."""
        r = self.rng
        roll = r.random()
        if depth >= self.max_depth or roll < 0.55:
            return self.compare(depth)
        if roll < 0.7:
            return Not(self.cond(depth + 1, ints_ok))
        if roll < 0.9:
            return BoolOp(r.choice(("and", "or")), [self.cond(depth + 1, ints_ok)
                                                   for _ in range(r.randint(2, 3))])
        if not ints_ok:
            return self.compare(depth)
        return Truthy(self.expr(r.choice(TYPES), depth + 1))

    def compare(self, depth: int) -> Compare:
        """A comparison (chain of 1–3 operators) over operands of one signedness."""
        r = self.rng
        signed = r.random() < 0.5
        n = r.choices([1, 2, 3], weights=[6, 3, 1])[0]
        types = [r.choice([t for t in TYPES if t.signed == signed]) for _ in range(n + 1)]
        operands: list[Node] = [self.expr(t, depth + 1) for t in types]
        # a literal operand adapts to its neighbours: it must fit both of them
        for i in range(n + 1):
            # no two literals side by side: how a literal pair inside a chain is typed is
            # not what these tests are about
            if r.random() < 0.15 and not (i > 0 and isinstance(operands[i - 1], Const)):
                neigh = [types[j] for j in (i - 1, i + 1) if 0 <= j <= n]
                narrow = min(neigh, key=lambda t: t.bits)
                operands[i] = self.const(narrow)
        if all(isinstance(x, Const) for x in operands):
            operands[0] = self.var(types[0])
        return Compare(operands, [r.choice(list(_CMP)) for _ in range(n)])
