"""A bug inside a checker rule is reported as E999 at the statement being checked (the
innermost one), with the bug-report note, and never as a traceback."""
from __future__ import annotations

import ast

import pytest

import ebpfpy
from ebpfpy.errors import CompileError
from ebpfpy.frontend.check.context import EXPR_RULES

SOURCE = """\
from ebpfpy import bpf_program, u32

@bpf_program("xdp")
def prog(ctx) -> int:
    a: u32 = 1
    if a > 0:
        for i in range(4):
            a = a + u32(i)
    return 2
"""


def test_unexpected_exception_in_a_rule_is_e999_at_its_statement(monkeypatch):
    def broken(c, node, expect):
        raise ValueError("boom")

    monkeypatch.setitem(EXPR_RULES, ast.BinOp, broken)
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(source=SOURCE, filename="bug.py", stop_after="check")   # no cache
    [d] = info.value.errors
    assert (d.code, d.lineno, d.col_offset) == ("E999", 8, 12)
    assert "internal compiler error (ValueError: boom)" in d.message
    assert any("bug in ebpfpy" in n for n in d.notes)
    assert "Traceback" not in str(info.value)


def test_the_same_program_compiles_with_the_real_rule():
    assert ebpfpy.compile(source=SOURCE, filename="ok.py", stop_after="check").funcs["prog"]
