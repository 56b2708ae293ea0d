"""An estimate of the verifier's cost (processed instructions) from the typed AST.

The verifier walks every iteration of a bounded loop and both arms of every branch, but a
``bpf_loop`` callback only once.  The weights are BPF instructions per construct as the
lowering emits them after LLVM's -O2, calibrated against the kernel's ``processed N insns``
(kernel_tests/test_cost.py keeps the estimate within a factor of 2).
"""
from __future__ import annotations

import ast
from typing import Any

from ..types import IntType, MapType
from .typed import FuncInfo, LoopStrategy

LOOP_OVERHEAD = 3          # compare, branch, increment per walked iteration
BPF_LOOP_CALL = 30         # bpf_loop set-up, its return, the callback verified once (measured)
CALL_OVERHEAD = 4
MAP_OP = 6                 # key spill, map pointer (ld_imm64), call, null check


class CostModel:
    """Estimates per function; ``funcs`` gives callee estimates (static calls are inlined
    or re-verified at each call site)."""

    def __init__(self, funcs: dict[str, FuncInfo]) -> None:
        self.funcs = funcs
        self.memo: dict[str, int] = {}

    def function(self, fi: FuncInfo) -> int:
        if fi.name not in self.memo:
            self.memo[fi.name] = 0          # recursion is rejected earlier; guard anyway
            self.memo[fi.name] = 2 + self.block(fi, fi.node.body)
        return self.memo[fi.name]

    def block(self, fi: FuncInfo, stmts: list[ast.stmt]) -> int:
        return sum(self.stmt(fi, s) for s in stmts)

    def stmt(self, fi: FuncInfo, s: ast.stmt) -> int:
        if isinstance(s, ast.For) and s in fi.loops:
            return self.loop(fi, s)
        if isinstance(s, ast.If):
            return 1 + self.expr(fi, s.test) + self.block(fi, s.body) + self.block(fi, s.orelse)
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            target = s.targets[0] if isinstance(s, ast.Assign) else s.target
            return 1 + self.expr(fi, s.value) + self._target(fi, target)
        if isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Subscript) and isinstance(fi.types.get(s.target.value), MapType):
                return 3 * MAP_OP + self.expr(fi, s.value) + self.expr(fi, s.target.slice)
            return 2 + self.expr(fi, s.value) + self._target(fi, s.target)
        if isinstance(s, ast.Return):
            return 1 + (self.expr(fi, s.value) if s.value is not None else 1)
        if isinstance(s, ast.Expr):
            return self.expr(fi, s.value)
        if isinstance(s, ast.Delete):
            return MAP_OP * len(s.targets)
        return 1

    def loop(self, fi: FuncInfo, s: ast.For) -> int:
        info = fi.loops[s]
        body = self.block(fi, s.body)
        bounds = sum(self.expr(fi, b) for b in (info.start, info.stop) if isinstance(b, ast.AST))
        if info.strategy is LoopStrategy.BPF_LOOP:
            return BPF_LOOP_CALL + bounds + body + LOOP_OVERHEAD
        walked = info.trip_bound * (body + LOOP_OVERHEAD)
        if isinstance(info.stop, ast.AST) and info.stop not in fi.consts:
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
            return sum(2 + self.expr(fi, v) for v in e.values)
        if isinstance(e, ast.UnaryOp):
            return 1 + self.expr(fi, e.operand)
        if isinstance(e, ast.IfExp):
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
            return BPF_LOOP_CALL + args + self.function(self.funcs[c.extra])
        if c.kind == "map_method":
            return 2 * MAP_OP + args
        if c.kind == "helper" and c.name == "seq_printf":
            # each value is stored into the u64 array the helper reads; the verifier checks
            # the format against the values, and walks the call on each path that reaches it
            return 4 * CALL_OVERHEAD + args + 3 * (len(e.args) - 2)
        if c.kind in ("helper", "timer", "ctx_load"):
            return CALL_OVERHEAD + args
        if c.kind == "struct_new" or c.kind == "array_new":
            size = c.type.size if c.type is not None else 8
            return 1 + size // 8 + args
        return 1 + args
