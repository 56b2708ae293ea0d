"""Exact folding of constant integer expressions (literals and module constants)."""
from __future__ import annotations

import ast
import operator
from typing import Callable

from ..model.names import DslNames
from ..model.source import Source

_BIN: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
LIMIT_BITS = 256        # folding may exceed 64 bits, but not without bound
DSL_CONSTANTS = {"XDP_ABORTED": 0, "XDP_DROP": 1, "XDP_PASS": 2, "XDP_TX": 3, "XDP_REDIRECT": 4,
                 "TC_ACT_UNSPEC": -1, "TC_ACT_OK": 0, "TC_ACT_SHOT": 2, "TC_ACT_REDIRECT": 7,
                 "RB_NO_WAKEUP": 1, "RB_FORCE_WAKEUP": 2,
                 "BPF_F_USER_STACK": 1 << 8, "BPF_F_FAST_STACK_CMP": 1 << 9,
                 "BPF_F_REUSE_STACKID": 1 << 10, "BPF_F_CURRENT_CPU": 0xFFFFFFFF,
                 "BPF_F_RECOMPUTE_CSUM": 1, "BPF_F_INVALIDATE_HASH": 2, "BPF_F_PSEUDO_HDR": 0x10,
                 "BPF_F_MARK_MANGLED_0": 0x20, "BPF_ADJ_ROOM_NET": 0, "BPF_ADJ_ROOM_MAC": 1}


class ConstFolder:
    def __init__(self, src: Source, consts: dict[str, int], names: DslNames) -> None:
        self.src = src
        self.consts = consts
        self.names = names
        self._python = False

    def is_constant_expr(self, node: ast.expr) -> bool:
        """True when ``node`` is built only of int literals, constants and operators."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int) and not isinstance(node.value, bool)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.named(node) is not None
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            return self.is_constant_expr(node.operand)
        if isinstance(node, ast.BinOp):
            return self.is_constant_expr(node.left) and self.is_constant_expr(node.right)
        return self.char_literal(node) is not None

    def char_literal(self, node: ast.AST) -> int | None:
        """``ord("b")``: the code of a one-character string literal (C's ``'b'``), or None."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "ord" and "ord" not in self.names.shadowed
                and len(node.args) == 1 and not node.keywords):
            return None
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, (str, bytes)) \
                and len(arg.value) == 1:
            return ord(arg.value)
        return None

    def named(self, node: ast.AST) -> int | None:
        """The value of a module constant or a DSL constant such as ``XDP_PASS``."""
        if isinstance(node, ast.Name) and node.id in self.consts:
            return self.consts[node.id]
        path = self.names.dsl(node)
        if path in DSL_CONSTANTS:
            return DSL_CONSTANTS[path]
        return None

    def fold(self, node: ast.expr, python: bool = False) -> int | None:
        """The exact value, or None after reporting why it cannot be folded.

        ``python``: the expression is a module constant, which CPython itself evaluates on
        import, so dividing by zero is an error rather than the BPF rule ``x // 0 == 0``.
        """
        self._python = python
        try:
            return self._fold(node)
        except _NotConst as e:
            self.src.error(e.code, e.node, **e.fmt)
            return None

    def try_fold(self, node: ast.expr) -> int | None:
        """The exact value, or None silently (for expressions that may be runtime)."""
        if not self.is_constant_expr(node):
            return None
        try:
            return self._fold(node)
        except _NotConst:
            return None

    def _fold(self, node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return int(node.value)
        if isinstance(node, (ast.Name, ast.Attribute)):
            v = self.named(node)
            if v is not None:
                return v
        if isinstance(node, ast.UnaryOp):
            v = self._fold(node.operand)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Invert):
                return ~v
        if isinstance(node, ast.BinOp):
            a, b = self._fold(node.left), self._fold(node.right)
            return self._check(node, self._binop(node, a, b))
        ch = self.char_literal(node)
        if ch is not None:
            return ch
        raise _NotConst("E040", node)

    def _binop(self, node: ast.BinOp, a: int, b: int) -> int:
        op = type(node.op)
        if op in _BIN:
            return _BIN[op](a, b)
        if op in (ast.FloorDiv, ast.Mod):
            if b == 0:      # the contract's rule, as at run time; CPython raises on import
                if self._python:
                    raise _NotConst("E046", node)
                return 0 if op is ast.FloorDiv else a
            return a // b if op is ast.FloorDiv else a % b
        if op is ast.Pow:
            if b < 0:
                raise _NotConst("E045", node.right, exp=b)
            if b * max(a.bit_length(), 1) > LIMIT_BITS:
                raise _NotConst("E042", node)
            return a ** b
        if op in (ast.LShift, ast.RShift):
            if b < 0 or (op is ast.LShift and b > LIMIT_BITS):
                raise _NotConst("E043", node.right, count=b, bits=LIMIT_BITS,
                                type="a constant expression")
            return a << b if op is ast.LShift else a >> b
        raise _NotConst("E040", node)

    @staticmethod
    def _check(node: ast.expr, v: int) -> int:
        if v.bit_length() > LIMIT_BITS:
            raise _NotConst("E042", node)
        return v


class _NotConst(Exception):
    def __init__(self, code: str, node: ast.AST, **fmt: object) -> None:
        self.code, self.node, self.fmt = code, node, fmt
