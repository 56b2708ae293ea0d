"""ebpfpy.testing.minimize: shrinking a fuzz reproducer while a predicate holds."""
from __future__ import annotations

from ebpfpy.testing.minimize import minimize

_SRC = """\
# [load] verifier rejected program 'p1_prog': BPF program is too large
#         for i0 in range(4, -2, -1):
# last lines of the verifier log:
#     12: (4f) r7 |= r2
def prog(x):
    a = 1
    if x:
        b = 2
        bad = 3
    c = 4
    return 0
"""


def test_a_reproducer_with_its_comment_header_shrinks() -> None:
    out = minimize(_SRC, lambda text: "bad = 3" in text)
    code = [line.strip() for line in out.splitlines() if line.strip() and not line.startswith("#")]
    assert code == ["def prog(x):", "if x:", "bad = 3"]


def test_an_emptied_block_gets_pass() -> None:
    out = minimize("def f():\n    if g():\n        h()\n    return 1\n",
                   lambda text: "return 1" in text and "if g():" in text)
    assert "if g():\n        pass\n" in out and "h()" not in out
