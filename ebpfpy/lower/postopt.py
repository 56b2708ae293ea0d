"""Edits of the optimised IR text that keep instruction selection from making code the
verifier refuses.

LLVM folds a choice between two fields of one stack object (``x = s.p if c else s.q``, or
the same with an ``if`` statement, once the loads are merged) into one load at a chosen
offset: ``getelementptr i8, ptr %s, i64 %off`` with ``%off = select i1 %c, i64 0, i64 2``
(or a ``phi`` of constants).  Instruction selection knows the frame object is 8-byte
aligned and the offset is 0 or 2, so the bits cannot overlap and it writes the addition as
``r |= off``: "bitwise operator |= on pointer prohibited" (fuzz seed 11 program 293).
Such an offset passes through an empty asm here, which keeps the value and hides its
known bits; the addition stays an addition, and the verifier checks a bounded
variable-offset access.
"""
from __future__ import annotations

import re

_NAME = r'%(?:[-\w.$]+|"[^"]*")'
_INT = r"-?\d+"
# ``%off = select i1 %c, i64 0, i64 2`` (integer constants on both sides)
_SELECT_CONST = re.compile(rf"^\s*({_NAME}) = select i1 \S+, i\d+ {_INT}, i\d+ {_INT}\b")
# ``%off = phi i64 [ 0, %a ], [ 2, %b ]`` (every incoming value a constant)
_PHI_CONST = re.compile(rf"^\s*({_NAME}) = phi i\d+ \[ {_INT}, {_NAME} \](?:, \[ {_INT}, {_NAME} \])*\s*(?:, !|$)")
_GEP = re.compile(rf"^(\s*)({_NAME}) = getelementptr\b")
# the base operand: in a type, ``ptr`` is followed by a comma or a brace, never a name
_BASE = re.compile(rf", ptr (?:{_NAME}|@[-\w.$]+|@\"[^\"]*\"),")
_INDEX = re.compile(rf"(i(?:32|64)) ({_NAME})(?=[,\s]|$)")


def hide_chosen_offsets(ir_text: str) -> str:
    """``ir_text`` with every GEP index that is a choice between constants made opaque."""
    chosen = set()
    for line in ir_text.splitlines():
        m = _SELECT_CONST.match(line) or _PHI_CONST.match(line)
        if m:
            chosen.add(m.group(1))
    if not chosen:
        return ir_text
    out: list[str] = []
    n = 0
    for line in ir_text.splitlines():
        g = _GEP.match(line)
        if g:
            # the operands after the base pointer (``ptr %base,``) are the indices
            base = _BASE.search(line)
            hidden: list[str] = []

            def hide(m: re.Match[str]) -> str:
                nonlocal n
                if m.group(2) not in chosen:
                    return m.group(0)
                n += 1
                name = f"%__ebpfpy_offset{n}"
                hidden.append(f'{g.group(1)}{name} = call {m.group(1)} asm "", "=r,0"'
                              f"({m.group(1)} {m.group(2)})")
                return f"{m.group(1)} {name}"

            if base:
                line = line[:base.end()] + _INDEX.sub(hide, line[base.end():])
            out.extend(hidden)
        out.append(line)
    return "\n".join(out) + ("\n" if ir_text.endswith("\n") else "")
