"""A bug inside the lowering is reported as E999 at the user's statement being lowered (the
innermost one), never at line 1 and never as a traceback; outside any statement, at the
function's line.  The bug is injected by replacing one lowering function."""
from __future__ import annotations

import ast

import pytest

import ebpfpy
from ebpfpy.errors import CompileError
from ebpfpy.lower import expressions, function

SOURCE = '''\
from ebpfpy import bpf_program, struct, u32


@struct
class Args:
    a: u32
    b: u32


@bpf_program("syscall")
def prog(ctx: Args) -> int:
    x: u32 = 1
    if ctx.a > 3:
        ctx.b = ctx.a + x
    return 0
'''


def _boom(*_args: object) -> None:
    raise ValueError("injected")


def _error() -> CompileError:
    with pytest.raises(CompileError) as e:
        ebpfpy.compile(source=SOURCE, filename="bug.py", stop_after="ir")
    return e.value


def test_bug_in_an_expression_is_reported_at_its_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(expressions._EXPRS, ast.BinOp, _boom)
    e = _error()
    d = e.errors[0]
    assert (d.code, d.lineno, d.col_offset) == ("E999", 14, 8)      # ctx.b = ctx.a + x
    assert "internal compiler error (ValueError: injected)" in d.message
    assert "ctx.b = ctx.a + x" in str(e)
    assert "Traceback" not in str(e)


def test_bug_outside_statements_is_reported_at_the_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(function, "_bind_params", _boom)
    d = _error().errors[0]
    assert (d.code, d.lineno) == ("E999", 11)                        # def prog(...)
