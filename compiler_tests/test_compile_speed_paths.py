"""The compile-time shortcuts keep the compiler's answers: metadata interning by identity
prints what llvmlite's interning prints, the cycle collector is paused only for a compile,
"no-builtins" lands on the same definitions as the line-anchored regex did."""
from __future__ import annotations

import gc
import re

import llvmlite.ir as ir
import pytest

import ebpfpy
from ebpfpy.errors import CompileError
from ebpfpy.lower.debuginfo import DebugModule
from ebpfpy.lower.target import _no_builtins

SMALL = '''
from ebpfpy import bpf_program, XDP_PASS

@bpf_program("xdp")
def prog(ctx) -> int:
    return XDP_PASS
'''


def _metadata_calls(m: ir.Module) -> None:
    """A mix of what lower/debuginfo.py asks for: shared files, repeated types, fresh tokens,
    lists that become nodes, the same node asked for twice."""
    f = m.add_debug_info("DIFile", {"filename": "a.py", "directory": ""})
    for _ in range(2):
        u32 = m.add_debug_info("DIBasicType", {"name": "unsigned int", "size": 32,
                                               "encoding": ir.DIToken("DW_ATE_unsigned")})
        td = m.add_debug_info("DIDerivedType", {"tag": ir.DIToken("DW_TAG_typedef"),
                                                "name": "__u32", "baseType": u32, "file": f})
        sub = m.add_debug_info("DISubrange", {"count": 4})
        m.add_debug_info("DICompositeType", {"tag": ir.DIToken("DW_TAG_array_type"),
                                             "baseType": td, "size": 128,
                                             "elements": m.add_metadata([sub])})
        m.add_metadata(["btf_decl_tag", "x"])
        m.add_metadata([ir.Constant(ir.IntType(32), 7), "Dwarf Version"])
        m.add_debug_info("DIExpression", {})
        m.add_debug_info("DILocation", {"line": 3, "column": 1, "scope": f})
    m.add_named_metadata("llvm.module.flags", [ir.Constant(ir.IntType(32), 2), "v"])


def test_identity_interning_prints_what_llvmlite_prints() -> None:
    plain, fast = ir.Module(name="m", context=ir.Context()), DebugModule("m", ir.Context())
    _metadata_calls(plain)
    _metadata_calls(fast)
    assert str(fast) == str(plain)
    assert len(fast.metadata) == len(plain.metadata)


def test_interned_nodes_are_shared_and_tokens_keep_llvmlites_identity() -> None:
    m = DebugModule("m", ir.Context())
    enc = {"name": "int", "size": 32}
    a = m.add_debug_info("DIBasicType", {**enc, "encoding": ir.DIToken("DW_ATE_signed")})
    b = m.add_debug_info("DIBasicType", {**enc, "encoding": ir.DIToken("DW_ATE_signed")})
    assert a is b                               # an encoding token compares by its text
    p = m.add_debug_info("DIDerivedType", {"tag": ir.DIToken("DW_TAG_pointer_type"), "baseType": a})
    q = m.add_debug_info("DIDerivedType", {"tag": ir.DIToken("DW_TAG_pointer_type"), "baseType": a})
    assert p is not q                           # any other token by identity, as in llvmlite
    assert m.add_metadata([a, "s"]) is m.add_metadata([a, "s"])


def test_the_collector_is_paused_for_a_compile_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from ebpfpy import pipeline
    seen: list[bool] = []
    real_run = pipeline._run

    def spy(*args: object, **kw: object) -> object:
        seen.append(gc.isenabled())
        return real_run(*args, **kw)            # type: ignore[arg-type]
    monkeypatch.setattr(pipeline, "_run", spy)
    assert gc.isenabled()
    pipeline.run_pipeline(SMALL, "small.py", stop_after="ir")
    with pytest.raises(CompileError):
        pipeline.run_pipeline(SMALL.replace("return XDP_PASS", "return undefined_name"),
                              "bad.py", stop_after="ir")
    assert gc.isenabled()                       # back on after a success and after an error
    gc.disable()
    try:
        pipeline.run_pipeline(SMALL, "small.py", stop_after="ir")
        assert not gc.isenabled()               # a caller's own pause is left alone
    finally:
        gc.enable()
    assert seen == [False, False, False]


_OLD = re.compile(r'^(define\b[^\n]*?\)[^\n]*?\bnounwind\b)', re.M)


@pytest.mark.parametrize("text", [
    'define i32 @"f"(ptr %"ctx") nounwind section "xdp"\n{\nentry:\n  ret i32 0\n}\n',
    'x\ndefine void @g() nounwind {\n}\ndefine void @h() {\n}\ndefine void @k() nounwind',
    '; define void @c() nounwind\n  define-ish nounwind\ndefinex @q() nounwind\n',
    "",
])
def test_no_builtins_marks_the_same_definitions(text: str) -> None:
    assert _no_builtins(text) == _OLD.sub(r'\1 "no-builtins"', text)


def test_no_builtins_on_a_real_module() -> None:
    ir_text = ebpfpy.compile(source=SMALL, filename="small.py", stop_after="ir")
    assert _no_builtins(ir_text) == _OLD.sub(r'\1 "no-builtins"', ir_text)
    assert '"no-builtins"' in _no_builtins(ir_text)


_OLD_DECLARE = re.compile(r"^declare (.*) (!dbg ![0-9]+)$", re.M)


@pytest.mark.parametrize("text", [
    "declare void @f(i32) !dbg !4\nx\ndeclare i32 @g()\ndeclare i64 @h(ptr) !dbg !12",
    "x\n  declare void @q() !dbg !5\ndeclare  !dbg !3\ndeclare\n",
    "",
])
def test_declarations_get_their_debug_node_first_as_before(text: str) -> None:
    from ebpfpy.lower.module import declarations_with_debug
    assert declarations_with_debug(text) == _OLD_DECLARE.sub(r"declare \2 \1", text)
