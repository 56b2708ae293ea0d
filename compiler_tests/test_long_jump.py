"""A branch past BPF's 16-bit jump range is a compile error at the function, not an abort
of the process in LLVM's backend ("Branch target out of insn range")."""
from __future__ import annotations

import pytest

from ebpfpy.errors import CompileError
from ebpfpy.lower.hazards import LONG_FUNCTION_IR, function_sizes, ir_hazard
from ebpfpy.pipeline import run_pipeline


def _long_program(statements: int) -> str:
    """A syscall program whose early return jumps over ``statements`` lines of arithmetic."""
    lines = ["from ebpfpy import bpf_program, struct, u32", "", "", "@struct", "class Arg:",
             "    x: u32", "", "", '@bpf_program("syscall")', "def long_jump(ctx: Arg) -> int:",
             "    a = ctx.x", "    b = a ^ 5", "    if a == 7:", "        return 0"]
    for i in range(statements):
        lines.append("    a = a * 33 + b" if i % 2 == 0 else f"    b = b ^ (a >> {1 + i % 13})")
    return "\n".join(lines + ["    ctx.x = a ^ b", "    return 1", ""])


def _ir_function(n: int) -> str:
    body = "".join(f"  %v{i + 1} = add i64 %v{i}, 1\n" for i in range(n))
    return f"define i64 @f(i64 %v0) {{\n{body}  ret i64 %v{n}\n}}\n"


def test_function_sizes_count_instruction_lines() -> None:
    assert function_sizes(_ir_function(5)) == {"f": 6}


def test_a_long_function_is_a_hazard_a_short_one_is_not() -> None:
    assert ir_hazard(_ir_function(10)) is None
    found = ir_hazard(_ir_function(LONG_FUNCTION_IR + 1))
    assert found is not None and "jump range" in found


def test_a_branch_past_the_jump_range_is_E251_at_the_function() -> None:
    src = _long_program(14_000)
    with pytest.raises(CompileError) as e:
        run_pipeline(src, "long_jump.py", stop_after="obj")
    d = e.value.errors[0]
    assert (d.code, d.lineno, d.col_offset) == ("E251", 10, 0)
    assert "'long_jump' is too long for BPF jumps" in d.message
    assert "ProgArray.tail_call" in str(e.value)


def test_the_same_program_shorter_compiles() -> None:
    assert run_pipeline(_long_program(200), "short.py", stop_after="obj")[:4] == b"\x7fELF"
