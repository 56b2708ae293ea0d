"""lower/postopt.py: a GEP index that is a choice between constants becomes opaque."""
from __future__ import annotations

from ebpfpy.lower.postopt import hide_chosen_offsets
from ebpfpy.lower.target import optimise

_IR = """\
define i16 @f(ptr %s, i1 %c) {
entry:
  %off = select i1 %c, i64 0, i64 2
  %p = getelementptr inbounds nuw i8, ptr %s, i64 %off, !dbg !1
  %v = load i16, ptr %p, align 2
  ret i16 %v
}
"""


def test_select_of_constants_as_an_index_is_hidden() -> None:
    out = hide_chosen_offsets(_IR)
    assert '%__ebpfpy_offset1 = call i64 asm "", "=r,0"(i64 %off)' in out
    assert "getelementptr inbounds nuw i8, ptr %s, i64 %__ebpfpy_offset1, !dbg !1" in out
    # the asm comes right before its GEP
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if "getelementptr" in line)
    assert "asm" in lines[i - 1]


def test_phi_of_constants_as_an_index_is_hidden() -> None:
    ir = """\
define i16 @f(ptr %s, i1 %c) {
entry:
  br i1 %c, label %a, label %b
a:
  br label %b
b:
  %off = phi i64 [ 0, %entry ], [ 4, %a ]
  %p = getelementptr [4 x i16], ptr %s, i64 0, i64 %off
  %v = load i16, ptr %p, align 2
  ret i16 %v
}
"""
    out = hide_chosen_offsets(ir)
    assert "getelementptr [4 x i16], ptr %s, i64 0, i64 %__ebpfpy_offset1" in out
    optimise(out.replace("!dbg !1", ""))         # still valid IR


def test_other_indices_and_type_lists_are_untouched() -> None:
    ir = """\
define ptr @f(ptr %s, i64 %i, i1 %c) {
entry:
  %k = select i1 %c, i64 %i, i64 2
  %n = phi i64 [ 0, %entry ], [ %i, %entry ], !dbg !1
  %p = getelementptr { ptr, i64 }, ptr %s, i64 %k, i64 %n, i32 1
  %q = getelementptr { i8, ptr }, ptr %p, i64 %i
  ret ptr %q
}
"""
    assert hide_chosen_offsets(ir) == ir


def test_the_rewritten_text_is_valid_ir() -> None:
    optimise(hide_chosen_offsets(_IR).replace(", !dbg !1", ""))
