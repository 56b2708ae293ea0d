"""An estimate of the verifier's cost (processed instructions) from the typed AST.

The verifier walks every iteration of a bounded loop and every path it cannot prune.  The
weights are BPF instructions per construct as the lowering emits them after LLVM's -O2,
calibrated against Linux 6.18's ``processed N insns`` (kernel_tests/test_cost.py keeps the
estimate within a factor of 2 on every example and benchmark kernel).  What multiplies the
walk, as measured:

* a ``bpf_loop`` callback is walked again until its state converges (Linux 6.7+ verifies a
  callback as if it were called an unknown number of times): counted twice, but a callback
  inside another one once (the outer re-walk prunes at the inner call);
* an outlined loop's body comes back to the ``bpf_loop`` call with a state of its own from
  each path through its ``if`` statements (up to ``CALLBACK_STATES``), walked again from each;
* a bounded loop whose trip count comes from a local (or that may ``break``) leaves on every
  iteration, each exit with a state of its own; inside an enclosing walked loop each exit
  walks the enclosing loop's next iteration again (``trips × exits`` walks of its body);
* ``x & -b`` (a sign mask, also what LLVM makes of ``b ? K : 0``) forks the state in two
  (0 and -1); the paths merge only at the next loop head;
* a short walked loop (at most ``BRANCHY_TRIPS`` iterations) whose body branches carries the
  states of its paths into the next iteration, where they seldom merge: iteration ``j`` is
  walked once per path of the iterations before it (``paths ** j``);
* a ``helpers.loop`` callback that carries a cursor in its context (a field it stores from
  that field or from the index, and whose value it compares or indexes with) never converges:
  the verifier widens only imprecise scalars, so it walks the callback once per possible
  iteration, up to the count's upper bound (``bpf_loop iteration limit reached``), and the
  caller's code after the call again with each new state.

What shrinks it: ``Const[T]`` globals live in ``.rodata``, frozen at load, so the verifier
knows their values and walks only the side of an ``if`` (or ``x if c else y``, or the
operands of ``and``/``or``) they select.  The estimate takes them at their initial values:
it is the estimate of the object as written; a configuration set before load may select
the other sides.
"""
from __future__ import annotations

import ast
from weakref import WeakKeyDictionary
from typing import Any

from ..types import ArrayType, IntType, MapType
from ..model.helper_table import PRINTK_VALUES
from ..model.items import GlobalDef
from ..model.typed import FuncInfo, LoopStrategy
from ..model.walk import all_nodes

LOOP_OVERHEAD = 3          # compare, branch, increment per walked iteration
BPF_LOOP_CALL = 30         # bpf_loop set-up and its return
CALLBACK_WALKS = 2         # a callback is walked again with the state it leaves (Linux 6.7+)
CALLBACK_STATES = 8        # states an outlined body's paths bring back, at most (measured on
                           # 500 fuzz programs: 2 of 15 outlined ones more than 2x under)
CALL_OVERHEAD = 4
MAP_OP = 6                 # key spill, map pointer (ld_imm64), call, null check
MAP_AUG_WALKS = 5          # m[k] op= v in a walked loop: its paths (hit; miss, create, look up
                           # again) reach the loop head in states that do not merge (measured)
BRANCHY_TRIPS = 16         # short loops: each iteration's paths reach the next one
UNROLLED_TRIPS = 16        # LLVM unrolls shorter constant loops: no loop head to merge paths
BPF_LOOP_MAX = 1 << 23     # the kernel's cap on a bpf_loop count
CAP = 10 ** 12             # beyond any budget; keeps the powers finite


def _geometric(ratio: int, terms: int) -> int:
    """1 + ratio + ratio**2 + ... (``terms`` terms), capped."""
    total, power = 0, 1
    for _ in range(terms):
        total += power
        power = min(power * ratio, CAP)
        if total >= CAP:
            return CAP
    return total


class CostModel:
    """Estimates per function; ``funcs`` gives callee estimates (static calls are inlined
    or re-verified at each call site)."""

    def __init__(self, funcs: dict[str, FuncInfo]) -> None:
        self.funcs = funcs
        self.memo: dict[tuple[str, bool], int] = {}
        self.callback_depth = 0             # callbacks around the code being estimated

    def function(self, fi: FuncInfo) -> int:
        key = (fi.name, self.callback_depth > 0)
        if key not in self.memo:
            self.memo[key] = 0              # recursion is rejected earlier; guard anyway
            self.memo[key] = 2 + self.block(fi, fi.node.body)
        return self.memo[key]

    def callback(self, cost_of_body: Any, rewalked: bool = True) -> int:
        """A callback's cost: ``cost_of_body()`` walked CALLBACK_WALKS times, once inside
        another callback, or when it is not ``rewalked``."""
        walks = 1 if self.callback_depth or not rewalked else CALLBACK_WALKS
        self.callback_depth += 1
        try:
            return walks * cost_of_body()
        finally:
            self.callback_depth -= 1

    def block(self, fi: FuncInfo, stmts: list[ast.stmt]) -> int:
        """Statements in sequence; a fork multiplies the statements after it."""
        total, paths = 0, 1
        for s in stmts:
            total = min(total + paths * self.stmt(fi, s), CAP)
            paths = min(paths << min(self.fork_bits(fi, [s]), 40), CAP)
        return total

    def fork_bits(self, fi: FuncInfo, stmts: list[ast.stmt]) -> int:
        """How many times the state forks in two on one walk of ``stmts`` (sign masks, not
        merged before the next loop head; an unrolled loop's forks add up)."""
        if not _has_sign_mask(fi):
            return 0                # most functions: no statement needs its walk
        bits = 0
        for s in stmts:
            if isinstance(s, ast.For) and s in fi.loops:
                info = fi.loops[s]
                inner = self.fork_bits(fi, s.body)
                if inner and info.strategy is LoopStrategy.LOOP and info.trip_bound <= UNROLLED_TRIPS:
                    bits += inner * info.trip_bound
                continue
            if isinstance(s, ast.If):
                bits += self.fork_bits(fi, s.body) + self.fork_bits(fi, s.orelse)
            if isinstance(s, ast.With):
                bits += self.fork_bits(fi, s.body)
            bits += sum(1 for n in _shallow_walk(s) if _is_sign_mask(fi, n))
        return bits

    def paths(self, fi: FuncInfo, stmts: list[ast.stmt], exprs: bool = True) -> int:
        """Control paths through one walk of ``stmts`` that reach its end (branches of
        ``if``, and with ``exprs`` of conditional expressions, ``and``/``or``, chained
        comparisons, ``min``/``max``/``abs``); 0 when every path leaves by ``return`` or
        ``break``."""
        total = 1
        for s in stmts:
            if isinstance(s, (ast.Return, ast.Break)):
                return 0            # leaves the loop: reaches no next iteration
            if isinstance(s, ast.For):
                continue            # counted by ``exits`` and the loop's own estimate
            n = 1
            known = frozen_value(fi, s.test) if isinstance(s, ast.If) else None
            if isinstance(s, ast.If) and known is not None and s.test not in fi.consts:
                n = self.paths(fi, s.body if known else s.orelse, exprs)
            elif isinstance(s, ast.If) and s.test not in fi.consts and not _sets_locals(fi, s):
                n = 1       # both sides leave the same locals: the states merge at the head
            elif isinstance(s, ast.If) and s.test not in fi.consts:
                n = self.paths(fi, s.body, exprs) + self.paths(fi, s.orelse, exprs)
            elif isinstance(s, ast.If):
                n = self.paths(fi, s.body if fi.consts[s.test] else s.orelse, exprs)
            elif isinstance(s, ast.With):
                n = self.paths(fi, s.body, exprs)
            for e in _shallow_walk(s) if exprs else ():
                n *= self._expr_paths(fi, e)
            total = min(total * n, CAP)
        return total

    def _expr_paths(self, fi: FuncInfo, e: ast.AST) -> int:
        if e in fi.consts:
            return 1
        if isinstance(e, (ast.IfExp, ast.BoolOp)):
            return 2 if isinstance(e, ast.IfExp) else len(e.values)
        if isinstance(e, ast.Compare) and len(e.ops) > 1:
            return len(e.ops)
        c = fi.calls.get(e) if isinstance(e, ast.Call) else None
        if isinstance(e, ast.Call) and c is not None and c.kind == "builtin" and \
                c.name in ("min", "max", "abs"):
            return max(len(e.args), 2)
        return 1

    def exits(self, fi: FuncInfo, s: ast.For) -> int:
        """Distinct states a walked loop leaves with: one per iteration when it may stop
        early (a runtime trip count, a ``break`` or a ``return``)."""
        info = fi.loops[s]
        if info.strategy is not LoopStrategy.LOOP or info.trip_bound <= 1:
            return 1
        # a bound computed from a local (held in a register across the enclosing loop) leaves
        # its exits with that local narrowed differently; a bound read from a global does not
        runtime = isinstance(info.stop, ast.AST) and info.stop not in fi.consts and any(
            isinstance(n, ast.Name) and fi.names.get(n) is not None and fi.names[n].kind == "local"
            for n in all_nodes(info.stop))
        early = any(isinstance(n, (ast.Break, ast.Return)) for n in _loop_body_walk(s))
        return info.trip_bound if runtime or early else 1

    def stmt(self, fi: FuncInfo, s: ast.stmt) -> int:
        if isinstance(s, ast.For) and s in fi.loops:
            return self.loop(fi, s)
        if isinstance(s, ast.If):
            known = frozen_value(fi, s.test)
            if known is not None:
                # the load of the frozen value and the branch the verifier resolves
                return 2 + self.block(fi, s.body if known else s.orelse)
            return 1 + self.expr(fi, s.test) + self.block(fi, s.body) + self.block(fi, s.orelse)
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            target = s.targets[0] if isinstance(s, ast.Assign) else s.target
            return 1 + self.expr(fi, s.value) + self._target(fi, target)
        if isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Subscript) and isinstance(fi.types.get(s.target.value), MapType):
                return 3 * MAP_OP + self.expr(fi, s.value) + self.expr(fi, s.target.slice)
            return 2 + self.expr(fi, s.value) + self._target(fi, s.target)
        if isinstance(s, ast.With):         # lock, the body, unlock: two helper calls
            return 2 * 3 + self.block(fi, s.body)
        if isinstance(s, ast.Return):
            return 1 + (self.expr(fi, s.value) if s.value is not None else 1)
        if isinstance(s, ast.Expr):
            return self.expr(fi, s.value)
        if isinstance(s, ast.Delete):
            return MAP_OP * len(s.targets)
        return 1

    def loop(self, fi: FuncInfo, s: ast.For) -> int:
        info = fi.loops[s]
        bounds = sum(self.expr(fi, b) for b in (info.start, info.stop) if isinstance(b, ast.AST))
        if info.strategy is LoopStrategy.BPF_LOOP:
            # an outlined body's shared locals converge (measured: a byte cursor compared
            # and used as an index, 20,000 trips: 143 processed), unlike a helpers.loop
            # callback's context fields (see _cursor_walks)
            # measured: an outlined body that cannot stop early (no break or return) leaves
            # the state it started from, and the kernel's second walk of it is pruned at
            # once (examples/gol_step.py's rows: 3,972 processed, one walk's worth)
            early = any(isinstance(n, (ast.Break, ast.Return)) for n in _loop_body_walk(s))
            # each path through the body's ifs that leaves the caller's state its own way
            # comes back to the call with a state of its own, and the body is walked again
            # from each (fuzz seed 5 program 14: a body of 37 such paths estimated at 313
            # was 18,919 processed; few of the paths' states differ in the end, hence the
            # cap).  A conditional expression's value is the callback's own and merges.
            states = min(max(self.paths(fi, s.body, exprs=False), 1), CALLBACK_STATES)
            return BPF_LOOP_CALL + bounds + states * self.callback(
                lambda: self.block(fi, s.body) + LOOP_OVERHEAD, rewalked=early)
        step = self.block(fi, s.body) + LOOP_OVERHEAD
        trips = info.trip_bound
        stop = frozen_value(fi, info.stop) if isinstance(info.stop, ast.AST) else None
        start = frozen_value(fi, info.start) if isinstance(info.start, ast.AST) else (info.start or 0)
        if stop is not None and start is not None and info.step > 0:
            # ``range(1, min(60, max_args))`` with a Const max_args: the verifier knows the
            # frozen bound, and walks that many trips on one path
            trips = max(0, min(trips, -(-(stop - start) // info.step)))
        bits = self.fork_bits(fi, s.body)
        # each exit of an inner loop walks the rest of this loop again
        fan = 1
        for inner in _loops_in(s.body):
            fan = min(fan * self.exits(fi, inner), CAP)
        paths = max(self.paths(fi, s.body), 1) if trips <= BRANCHY_TRIPS else 1
        if paths > 1:
            walked = step * _geometric(min(fan * paths, CAP), trips)
        elif fan > 1:
            # measured: each later iteration is walked about once per exit of the inner loop
            walked = step * (1 + (trips - 1) * fan)
        elif bits and trips <= UNROLLED_TRIPS:
            # unrolled: iteration j starts with 2**(bits * j) paths and forks further
            walked = step * _geometric(1 << min(bits, 40), trips) << min(bits, 40)
        else:
            walked = trips * step
        if any(_is_map_aug(fi, n) for n in _loop_body_walk(s)):
            walked *= MAP_AUG_WALKS
        walked = min(walked, CAP)
        if isinstance(info.stop, ast.AST) and info.stop not in fi.consts and stop is None:
            # a capped runtime bound, min(n, CAP), reaches the loop on two paths (n >= CAP
            # and n < CAP) whose states differ, and the verifier walks the loop on each
            walked *= 2
        return 2 + bounds + walked

    def _target(self, fi: FuncInfo, t: ast.expr) -> int:
        if isinstance(t, ast.Subscript) and isinstance(fi.types.get(t.value), MapType):
            return 2 * MAP_OP + self.expr(fi, t.slice)
        if isinstance(t, ast.Name):
            return 0
        return self.expr(fi, t)

    def expr(self, fi: FuncInfo, e: Any) -> int:
        if not isinstance(e, ast.AST) or e in fi.consts or isinstance(e, ast.Name):
            return 0            # constants are immediates; locals live in registers
        if isinstance(e, ast.BinOp):
            t = fi.types.get(e)
            base = 1
            if isinstance(e.op, (ast.FloorDiv, ast.Mod)) and e.right not in fi.consts:
                base = 14 if isinstance(t, IntType) and t.signed else 5
            elif isinstance(e.op, (ast.FloorDiv, ast.Mod)) and isinstance(t, IntType) and t.signed:
                base = 6
            return base + self.expr(fi, e.left) + self.expr(fi, e.right)
        if isinstance(e, ast.Compare):
            return 2 * len(e.ops) + self.expr(fi, e.left) + sum(self.expr(fi, c) for c in e.comparators)
        if isinstance(e, ast.BoolOp):
            total = 0
            for v in e.values:
                total += 2 + self.expr(fi, v)
                known = frozen_value(fi, v)
                if known is not None and bool(known) == isinstance(e.op, ast.Or):
                    break           # the verifier knows the rest is not evaluated
            return total
        if isinstance(e, ast.UnaryOp):
            return 1 + self.expr(fi, e.operand)
        if isinstance(e, ast.IfExp):
            known = frozen_value(fi, e.test)
            if known is not None:
                return 2 + self.expr(fi, e.body if known else e.orelse)
            return 3 + self.expr(fi, e.test) + self.expr(fi, e.body) + self.expr(fi, e.orelse)
        if isinstance(e, ast.Attribute):
            if fi.attrs.get(e, ("",))[0] == "kfield":
                # CO-RE offset (relocated mov), the load; arrays are copied to the stack
                t = fi.types.get(e)
                return 2 + 2 * (getattr(t, "size", 8) // 8 if hasattr(t, "elem") else 0) + \
                    self.expr(fi, e.value)
            return 1 + self.expr(fi, e.value)
        if isinstance(e, ast.Subscript):
            if isinstance(fi.types.get(e.value), MapType):
                return 2 * MAP_OP + self.expr(fi, e.slice)
            idx = 0 if e.slice in fi.consts else 2
            return 1 + idx + self.expr(fi, e.slice) + self.expr(fi, e.value)
        if isinstance(e, ast.Call):
            return self.call(fi, e)
        return 1

    def call(self, fi: FuncInfo, e: ast.Call) -> int:
        c = fi.calls.get(e)
        args = sum(self.expr(fi, a) for a in e.args) + sum(self.expr(fi, k.value) for k in e.keywords)
        if c is None:
            return 1 + args
        if c.kind == "func" and c.name in self.funcs:
            return CALL_OVERHEAD + args + self.function(self.funcs[c.name])
        if c.kind == "timer" and c.name == "set_callback" and c.extra in self.funcs:
            # the kernel verifies the callback as part of the program that installs it
            return CALL_OVERHEAD + args + self.function(self.funcs[c.extra])
        if c.kind == "helper" and c.name == "loop" and c.extra in self.funcs:
            cb = self.funcs[c.extra]
            once = self.callback(lambda: self.function(cb))
            walks = _cursor_walks(cb)
            if walks:
                # walked once per possible iteration, and each walk comes back to the call
                # with a new state: the caller goes on from there again (measured: ~2 walks'
                # worth per iteration, as the re-walk of a converging callback)
                once = min(once * min(walks, _count_bound(fi, e.args[0])), CAP)
            return BPF_LOOP_CALL + args + once
        if c.kind == "map_method":
            if c.name == "reserve":
                # the record is zeroed in place: one store per 8 bytes once it is over
                # LLVM's inline memset (a 2 KB stack trace record: ~260 instructions)
                target = getattr(c.type, "target", None)
                return 2 * MAP_OP + args + getattr(target, "size", 0) // 8
            return 2 * MAP_OP + args
        if c.kind == "helper" and (c.name == "seq_printf" or
                                   (c.name == "printk" and len(e.args) - 1 > PRINTK_VALUES)):
            # each value is stored into the u64 array the helper reads; the verifier checks
            # the format against the values, and walks the call on each path that reaches it
            return 4 * CALL_OVERHEAD + args + 3 * (len(e.args) - (2 if c.name == "seq_printf" else 1))
        if c.kind in ("helper", "timer", "ctx_load"):
            return CALL_OVERHEAD + args
        if c.kind == "struct_new" or c.kind == "array_new":
            size = c.type.size if c.type is not None else 8
            return 1 + size // 8 + args
        return 1 + args


_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b}


def frozen_value(fi: FuncInfo, e: ast.AST) -> int | None:
    """The value of ``e`` when the verifier knows it at load: compile-time constants and
    ``Const[T]`` globals (at their initial values), through ``not``, unary minus, single
    comparisons and ``and``/``or`` (which a known operand may decide alone); else None."""
    if e in fi.consts:
        return fi.consts[e]
    if isinstance(e, ast.Name):
        sym = fi.names.get(e)
        if sym is not None and sym.kind == "global" and isinstance(sym.target, GlobalDef) \
                and sym.target.const and not sym.target.kconfig:
            return sym.target.init
        return None
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("min", "max") \
            and e.args and not e.keywords:
        vals = [frozen_value(fi, a) for a in e.args]
        if any(v is None for v in vals):
            return None
        return min(vals) if e.func.id == "min" else max(vals)  # type: ignore[type-var]
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
        # an element of a Const array (``targ_comm[0]``): arrays start zeroed, and the
        # estimate is for the initial configuration
        sym = fi.names.get(e.value)
        if sym is not None and sym.kind == "global" and isinstance(sym.target, GlobalDef) \
                and sym.target.const and not sym.target.kconfig \
                and isinstance(sym.target.type, ArrayType) and frozen_value(fi, e.slice) is not None:
            return 0
        return None
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.Not, ast.USub)):
        v = frozen_value(fi, e.operand)
        return None if v is None else (int(not v) if isinstance(e.op, ast.Not) else -v)
    if isinstance(e, ast.Compare) and len(e.ops) == 1 and type(e.ops[0]) in _COMPARE and \
            not any(isinstance(x, ast.BoolOp) for x in (e.left, e.comparators[0])):
        # (``and``/``or`` give a truth value here, not Python's operand)
        a, b = frozen_value(fi, e.left), frozen_value(fi, e.comparators[0])
        return None if a is None or b is None else int(_COMPARE[type(e.ops[0])](a, b))
    if isinstance(e, ast.BoolOp):
        decider = isinstance(e.op, ast.Or)      # the value that decides the whole
        unknown = False
        for operand in e.values:
            k = frozen_value(fi, operand)
            if k is None:
                unknown = True
            elif bool(k) == decider and not unknown:
                return int(decider)
        return None if unknown else int(not decider)
    return None


# The walks below depend on the tree alone, which the compiler never rewrites; the estimate
# asks for the same statement's or loop's walk many times (block, fork_bits, paths, exits,
# loop), so each is made once while its tree lives (a weak key: the compile server keeps no
# old trees).
_SHALLOW: WeakKeyDictionary[ast.AST, list[ast.AST]] = WeakKeyDictionary()
_LOOP_BODY: WeakKeyDictionary[ast.AST, list[ast.AST]] = WeakKeyDictionary()


def _shallow_walk(s: ast.stmt) -> list[ast.AST]:
    """The expressions of ``s`` itself, not of the statements nested in it."""
    out = _SHALLOW.get(s)
    if out is None:
        out = _SHALLOW[s] = []
        for name, value in ast.iter_fields(s):
            if name in ("body", "orelse", "handlers", "finalbody"):
                continue
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, ast.AST):
                    out.extend(all_nodes(v))
    return out


def _loop_body_walk(s: ast.For) -> list[ast.AST]:
    """The nodes of the loop's body, leaving out nested loops' bodies (their ``break``)."""
    out = _LOOP_BODY.get(s)
    if out is not None:
        return out
    out = _LOOP_BODY[s] = []
    todo: list[ast.AST] = list(s.body)
    while todo:
        n = todo.pop()
        out.append(n)
        if isinstance(n, (ast.For, ast.While)):
            todo.extend(x for x in all_nodes(n) if isinstance(x, ast.Return))
            continue
        todo.extend(ast.iter_child_nodes(n))
    return out


def _loops_in(stmts: list[ast.stmt]) -> list[ast.For]:
    """The loops directly in ``stmts`` (through ifs, not through other loops)."""
    out: list[ast.For] = []
    for s in stmts:
        if isinstance(s, ast.For):
            out.append(s)
        elif isinstance(s, ast.If):
            out.extend(_loops_in(s.body) + _loops_in(s.orelse))
    return out


# by function node: the answer, and the constants it was read with (a node checked again
# with other constants is asked again)
_SIGN_MASKED: WeakKeyDictionary[ast.AST, tuple[Any, bool]] = WeakKeyDictionary()


def _has_sign_mask(fi: FuncInfo) -> bool:
    """Whether any expression of the function is a sign mask (one walk of the function
    instead of one per statement and per estimate: sortnet's 260 statements took 1 ms)."""
    known = _SIGN_MASKED.get(fi.node)
    if known is None or known[0] is not fi.consts:
        known = _SIGN_MASKED[fi.node] = (
            fi.consts, any(_is_sign_mask(fi, n) for n in all_nodes(fi.node)))
    return known[1]


def _is_sign_mask(fi: FuncInfo, n: ast.AST) -> bool:
    """``x & -b`` or ``x & (0 - b)`` with a runtime ``b``: the verifier forks on the mask."""
    if not (isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitAnd)):
        return False
    for side in (n.left, n.right):
        while isinstance(side, ast.Call) and len(side.args) == 1 and not side.keywords:
            side = side.args[0]         # casts
        if side in fi.consts:
            continue
        if isinstance(side, ast.UnaryOp) and isinstance(side.op, ast.USub):
            return True
        if isinstance(side, ast.BinOp) and isinstance(side.op, ast.Sub) and \
                fi.consts.get(side.left, None) == 0:
            return True
    return False


def _is_map_aug(fi: FuncInfo, n: ast.AST) -> bool:
    """``m[k] op= v`` on a map that may miss and create (not an array: its slots exist)."""
    if not (isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Subscript)):
        return False
    t = fi.types.get(n.target.value)
    return isinstance(t, MapType) and not t.kind.fixed_slots


def _count_bound(fi: FuncInfo, count: ast.expr, depth: int = 0) -> int:
    """An upper bound of a ``helpers.loop`` count, as the verifier may know it: a constant,
    the least constant of a ``min``, a difference's left side, a local assigned once (the
    kernel caps the count at ``BPF_LOOP_MAX``)."""
    while isinstance(count, ast.Call) and len(count.args) == 1 and not count.keywords:
        count = count.args[0]           # casts
    if count in fi.consts:
        return max(fi.consts[count], 1)
    if depth > 8:
        return BPF_LOOP_MAX
    if isinstance(count, ast.Call) and isinstance(count.func, ast.Name) and count.func.id == "min":
        return min(_count_bound(fi, a, depth + 1) for a in count.args)
    if isinstance(count, ast.BinOp) and isinstance(count.op, (ast.Sub, ast.FloorDiv, ast.RShift)):
        return _count_bound(fi, count.left, depth + 1)
    if isinstance(count, ast.Name):
        values = [n.value for n in all_nodes(fi.node) if isinstance(n, (ast.Assign, ast.AnnAssign))
                  and any(isinstance(t, ast.Name) and t.id == count.id
                          for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
        if len(values) == 1 and values[0] is not None:
            return _count_bound(fi, values[0], depth + 1)
    return BPF_LOOP_MAX


def _cursor_walks(cb: FuncInfo) -> int:
    """How many walks a ``helpers.loop`` callback's cursor allows (0: it keeps none)."""
    if len(cb.params) != 2:
        return 0
    ctx = cb.params[1].name

    def state(n: ast.AST) -> str | None:
        return n.attr if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and \
            n.value.id == ctx else None
    return _cursor_in(cb, [cb.node], {cb.params[0].name}, state)


def _cursor_in(fi: FuncInfo, roots: list[ast.AST], index: set[str],
               state: Any) -> int:
    """0 when the code in ``roots`` keeps no cursor in its state, else how many walks it
    allows.  A cursor is a state value (``state(node)`` names it) stored from the state or
    from the index, and compared or used as an index (which makes it precise: never
    widened).  A store guarded by ``if cursor < C`` stops changing the state after ``C``
    walks; otherwise only the count's bound limits them (``BPF_LOOP_MAX``)."""
    nodes = [n for r in roots for n in all_nodes(r)]
    parent = {id(child): n for n in nodes for child in ast.iter_child_nodes(n)}

    def reads(e: ast.AST, derived: set[str]) -> bool:
        return any(state(m) is not None or (isinstance(m, ast.Name) and m.id in derived)
                   for m in all_nodes(e))
    derived = set(index)                # locals computed from the state or the index
    for n in nodes:
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and state(n.targets[0]) is None and reads(n.value, derived):
            derived.add(n.targets[0].id)
    stores: dict[str, list[ast.stmt]] = {}
    for n in nodes:
        if isinstance(n, (ast.Assign, ast.AugAssign)) and (
                isinstance(n, ast.AugAssign) or reads(n.value, derived)):
            for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                key = state(t)
                if key is not None:
                    stores.setdefault(key, []).append(n)
    walks = 0
    for key, where in stores.items():
        held = {key} | {n.targets[0].id for n in nodes if isinstance(n, ast.Assign)
                        and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                        and state(n.value) == key}

        def mentions(e: ast.AST) -> bool:
            return any(state(m) == key or (isinstance(m, ast.Name) and m.id in held)
                       for m in all_nodes(e))
        if not any(mentions(part) for n in nodes
                   for part in ([n.left, *n.comparators] if isinstance(n, ast.Compare) else
                                [n.slice] if isinstance(n, ast.Subscript) else [])):
            continue                    # imprecise: widened, converges
        for store in where:
            walks = max(walks, _guard(fi, store, parent, mentions))
    return walks


def _guard(fi: FuncInfo, store: ast.stmt, parent: dict[int, ast.AST], mentions: Any) -> int:
    """``C`` when ``store`` runs only under ``if cursor < C`` (``C + 1`` for ``<=``)."""
    n: ast.AST | None = parent.get(id(store))
    while n is not None:
        t = n.test if isinstance(n, ast.If) else None
        if isinstance(n, ast.If) and isinstance(t, ast.Compare) and len(t.ops) == 1 and t.comparators[0] in fi.consts \
                and isinstance(t.ops[0], (ast.Lt, ast.LtE)) and mentions(t.left) \
                and any(store is m for b in n.body for m in all_nodes(b)):
            return fi.consts[t.comparators[0]] + isinstance(t.ops[0], ast.LtE)
        n = parent.get(id(n))
    return BPF_LOOP_MAX


def _sets_locals(fi: FuncInfo, s: ast.If) -> bool:
    """Whether a side of ``s`` assigns a local (a field or element of a struct on the stack
    too: the verifier tracks its slots as it does registers), leaves the loop or nests a
    loop (its paths then reach the next iteration in states of their own)."""
    return any(isinstance(n, (ast.Return, ast.Break, ast.Continue, ast.For, ast.While)) or
               (isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and
                any(_stack_target(fi, t) for t in (n.targets if isinstance(n, ast.Assign)
                                                   else [n.target])))
               for side in (s.body, s.orelse) for st in side for n in all_nodes(st))


def _stack_target(fi: FuncInfo, t: ast.expr) -> bool:
    """A local, or a field or element of a struct or array that lives on the stack (not in
    a map value, which the verifier does not track)."""
    while isinstance(t, (ast.Attribute, ast.Subscript)) and \
            not isinstance(fi.types.get(t.value), MapType):
        t = t.value
    if not isinstance(t, ast.Name):
        return False
    sym = fi.names.get(t)
    loc = fi.locals.get(t.id)
    # (a struct parameter may point into a map value, which the verifier does not track)
    return sym is not None and sym.kind in ("local", "ctx") and (loc is None or loc.space == "ctx" or (
        loc.space == "stack" and (loc.param_index is None or loc.mode == "value")))
