"""Where a runtime index passes through an empty asm (lower/places.py): before its bound only
when the program does not mask it itself, after it only into the frame or a global."""
from __future__ import annotations

import re
from pathlib import Path

from ebpfpy.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parent.parent
HEAD = """from ebpfpy import bpf_program, struct, Array, u32, i32
@struct
class A:
    k: u32
    out: i32
@struct
class W:
    arr: i32[3]
    pow2: i32[4]
vals = Array(W, 1)
"""


def _index_barriers(ir: str) -> int:
    """Empty asms whose result is bounded (``and``/``icmp``) or used as an element index."""
    hidden = re.findall(r'(%"opaque[.\d]*") = call i64 asm', ir)
    return sum(1 for h in hidden
               if re.search(rf"(and i64 {re.escape(h)}, \d|icmp uge i64 {re.escape(h)}, \d|"
                            rf"getelementptr .*, i64 {re.escape(h)} )", ir))


def _asm_count(body: str) -> int:
    src = HEAD + '@bpf_program("syscall")\ndef run(ctx: A) -> int:\n' + body
    return _index_barriers(run_pipeline(src, "barrier.py", stop_after="ir"))


def test_gol_indices_need_no_barrier() -> None:
    """Every GoL index is a mask the program wrote (``(y + H - 1) & (H - 1)``): LLVM keeps
    seeing through it, and the loop is as fast as clang's."""
    path = ROOT / "examples" / "gol_step.py"
    assert _index_barriers(run_pipeline(path.read_text(), str(path), stop_after="ir")) == 0


def test_modulo_index_into_the_frame_is_hidden_on_both_sides() -> None:
    assert _asm_count("    w = W()\n    w.arr[ctx.k % 3] = 5\n    return 0\n") == 2


def test_modulo_index_into_a_map_value_is_hidden_before_the_bound_only() -> None:
    body = ("    v = vals.lookup(0)\n    if v is None:\n        return 1\n"
            "    v.arr[ctx.k % 3] = 5\n    return 0\n")
    assert _asm_count(body) == 1


def test_masked_local_into_a_map_value_needs_none() -> None:
    body = ("    v = vals.lookup(0)\n    if v is None:\n        return 1\n"
            "    i = ctx.k & 3\n    v.pow2[i] = 5\n    v.pow2[ctx.k & 1] = 6\n    return 0\n")
    assert _asm_count(body) == 0


def test_a_mask_changed_later_keeps_the_barrier() -> None:
    head = "    v = vals.lookup(0)\n    if v is None:\n        return 1\n"
    changed = head + ("    i = ctx.k & 1\n    i += 1\n    if i < 3:\n        v.arr[i] = 5\n"
                      "    return 0\n")
    assert _asm_count(changed) == 1
