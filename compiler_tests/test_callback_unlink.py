"""Which loads of the caller's stack an outlined loop's callback unlinks (lower/memory.py).

The verifier links a register loaded from a stack slot to the slot: a comparison narrows
both.  In a bpf_loop callback a slot narrowed differently on each walk (by a walked loop's
variable, or by another value of the caller's stack) made the callback never converge
(fuzz seed 2 program 244, seed 3 program 2745), so such loads pass through ``v | opaque 0``;
a slot compared with a constant or with the callback's own values keeps the link.
"""
from __future__ import annotations

import re

from ebpfpy.pipeline import run_pipeline

HEAD = """from ebpfpy import bpf_program, struct, Array, u32, u64
@struct
class A:
    a: u64
    b: u64
@struct
class S:
    x: u64
    y: u64
out = Array(u64, 4)
@bpf_program("syscall")
def run(ctx: A) -> int:
    s = S(x=ctx.a, y=ctx.b)
    for i in range(3000):
"""


def _callback_ir(body: str) -> str:
    ir = run_pipeline(HEAD + body + "    return 0\n", "u.py", stop_after="ir", insn_budget=20_000)
    m = re.search(r'define internal i64 @"run__loop_l\d+c\d+"(.*?)\n}\n', ir, re.S)
    assert m, "the loop was not outlined"
    return m.group(1)


def _unlinked(body: str) -> int:
    return len(re.findall(r'%"unlinked(?:\.\d+)?" = or', _callback_ir(body)))


def test_compared_with_a_walked_loops_variable() -> None:
    body = ("        for j in range(4):\n"
            "            if s.x == u64(j):\n"
            "                out[1] += 1\n")
    assert _unlinked(body) == 1


def test_compared_with_another_value_of_the_caller() -> None:
    assert _unlinked("        if s.x < s.y:\n            out[1] += 1\n") == 2


def test_compared_with_a_constant_or_the_index_keeps_the_link() -> None:
    body = ("        if s.x < 10:\n            out[1] += 1\n"
            "        if s.y == u64(i):\n            out[2] += 1\n")
    assert _unlinked(body) == 0
