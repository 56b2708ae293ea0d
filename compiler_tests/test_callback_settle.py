"""Which values of the caller's stack an outlined loop's callback settles (lower/settle.py).

A value the body writes and that may become precise (compared, tested, an index, a call's
argument, a return value, or stored into such a value) gets an unknown zero added at the
start of each walk, so the verifier's walks of the callback converge; a counter the body
only adds to and stores elsewhere stays as it is (the verifier widens it by itself), and a
callback that settles nothing keeps its u32 index.
"""
from __future__ import annotations

import re

from ebpfpy.pipeline import run_pipeline

HEAD = """from ebpfpy import bpf_program, bpf_function, struct, Array, u32, u64
@struct
class A:
    a: u64
    b: u64
@struct
class S:
    x: u64
    y: u64
out = Array(u64, 4)
@bpf_function
def bump(s: S) -> None:
    s.y = s.y + 1
@bpf_program("syscall")
def run(ctx: A) -> int:
    s = S(x=ctx.a, y=ctx.b)
    t: u64 = 0
    for i in range(1_000_000):
"""


def _callback_ir(body: str, after: str = "") -> str:
    ir = run_pipeline(HEAD + body + after + "    return 0\n", "u.py", stop_after="ir",
                      insn_budget=20_000)
    m = re.search(r'define internal i64 @"run__loop_l\d+c\d+"\((.*?)\n}\n', ir, re.S)
    assert m, "the loop was not outlined"
    return m.group(1)


def _settled(body: str, after: str = "") -> int:
    return len(re.findall(r'= add i64 %"[^"]*", %"unknown_zero"', _callback_ir(body, after)))


def test_a_compared_counter_is_settled() -> None:
    body = "        s.x = s.x * 3 + 1\n        if s.x > 1000:\n            out[1] += 1\n"
    assert _settled(body) == 1
    assert _callback_ir(body).startswith("i64 %")      # the raw index register


def test_a_value_stored_into_an_index_is_settled() -> None:
    body = "        t = t + s.y\n        s.x = t\n        out[u32(s.x % 4)] = 1\n"
    assert _settled(body) == 2          # t (a local of the frame) and s.x


def test_an_object_passed_by_reference_is_settled_whole() -> None:
    assert _settled("        bump(s)\n") == 2


def test_a_sum_stored_elsewhere_is_left_alone() -> None:
    ir = _callback_ir("        t += u64(i)\n", "    ctx.a = t\n")
    assert "unknown_zero" not in ir and ir.startswith("i32 %")
