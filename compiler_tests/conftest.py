"""Compiler test options: ``--update-golden`` rewrites golden files instead of comparing."""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Callable

import pytest

# CLI runs in tests compile in their own process, so no compile server outlives the suite
# (test_compile_server.py turns the server on for its own runs, in a private runtime dir).
os.environ.setdefault("EBPFPY_NO_SERVER", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden expectation files from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run should rewrite golden files rather than compare against them."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def golden(update_golden: bool) -> Callable[[Path, str], None]:
    """``golden(path, actual)``: compare ``actual`` with the file, or rewrite it on update.

    A missing golden file is a failure (not a silent pass) unless ``--update-golden`` is given.
    """
    def check(path: Path, actual: str) -> None:
        path = Path(path)
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest with --update-golden",
                        pytrace=False)
        expected = path.read_text()
        if actual != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                f"{path} (golden)", "actual"))
            pytest.fail(f"output differs from {path} (rerun with --update-golden if intended):\n"
                        + diff, pytrace=False)
    return check


# ----------------------------------------------------------------- BPF objects for objfile tests
# A tiny module written by hand in LLVM IR, so objfile tests need neither the compiler nor clang:
# one map in .maps (BTF-defined), a program in "xdp" that looks the map up and increments the
# value atomically, and a static subprogram in .text reached by a bpf-to-bpf call.  The DIFile
# carries the Python source text, as ebpfpy's lowering does, so .BTF.ext line info quotes it.
OBJ_SOURCE = '''from ebpfpy import *
counts = HashMap(u32, u64, max_entries=16)
@bpf_function
def double_it(x: i32) -> i32:
    return x + x
@bpf_program("xdp")
def count(ctx) -> int:
    v = counts.lookup(7)
    if v is None:
        return XDP_PASS
    v.value += 1
    return double_it(3)
'''

_OBJ_IR = r'''
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"
%%struct.map = type { ptr, ptr, ptr, ptr }
@counts = global %%struct.map zeroinitializer, section ".maps", align 8, !dbg !20
@LICENSE = global [4 x i8] c"GPL\00", section "license", align 1
@llvm.compiler.used = appending global [3 x ptr] [ptr @count, ptr @counts, ptr @LICENSE], section "llvm.metadata"

define internal i32 @double_it(i32 %%x) #1 !dbg !40 {
  %%r = add i32 %%x, %%x, !dbg !45
  ret i32 %%r, !dbg !45
}

define i32 @count(ptr %%ctx) #0 section "xdp" !dbg !30 {
  %%key = alloca i32, align 4
  store i32 7, ptr %%key, align 4, !dbg !35
  %%v = call ptr inttoptr (i64 1 to ptr)(ptr @counts, ptr %%key), !dbg !35
  %%isnull = icmp eq ptr %%v, null, !dbg !36
  br i1 %%isnull, label %%out, label %%inc, !dbg !36
inc:
  %%old = atomicrmw add ptr %%v, i64 1 monotonic, align 8, !dbg !37
  %%d = call i32 @double_it(i32 3), !dbg !38
  br label %%out, !dbg !38
out:
  %%ret = phi i32 [ 2, %%0 ], [ %%d, %%inc ]
  ret i32 %%ret, !dbg !38
}

attributes #0 = { nounwind }
attributes #1 = { nounwind noinline }

!llvm.dbg.cu = !{!2}
!llvm.module.flags = !{!10, !11}
!2 = distinct !DICompileUnit(language: DW_LANG_C11, file: !3, producer: "ebpfpy-test", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !4)
!3 = !DIFile(filename: "prog.py", directory: "/src", source: "%(source)s")
!4 = !{!20}
!10 = !{i32 7, !"Dwarf Version", i32 5}
!11 = !{i32 2, !"Debug Info Version", i32 3}
!12 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed)
!13 = !DIBasicType(name: "u32", size: 32, encoding: DW_ATE_unsigned)
!14 = !DIBasicType(name: "u64", size: 64, encoding: DW_ATE_unsigned)
!20 = !DIGlobalVariableExpression(var: !21, expr: !DIExpression())
!21 = distinct !DIGlobalVariable(name: "counts", scope: !2, file: !3, line: 2, type: !22, isLocal: false, isDefinition: true)
!22 = distinct !DICompositeType(tag: DW_TAG_structure_type, file: !3, line: 2, size: 256, elements: !23)
!23 = !{!24, !25, !26, !27}
!24 = !DIDerivedType(tag: DW_TAG_member, name: "type", scope: !22, file: !3, line: 2, baseType: !50, size: 64)
!25 = !DIDerivedType(tag: DW_TAG_member, name: "max_entries", scope: !22, file: !3, line: 2, baseType: !53, size: 64, offset: 64)
!26 = !DIDerivedType(tag: DW_TAG_member, name: "key", scope: !22, file: !3, line: 2, baseType: !56, size: 64, offset: 128)
!27 = !DIDerivedType(tag: DW_TAG_member, name: "value", scope: !22, file: !3, line: 2, baseType: !57, size: 64, offset: 192)
!50 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !51, size: 64)
!51 = !DICompositeType(tag: DW_TAG_array_type, baseType: !12, size: 32, elements: !52)
!52 = !{!DISubrange(count: 1)}
!53 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !54, size: 64)
!54 = !DICompositeType(tag: DW_TAG_array_type, baseType: !12, size: 512, elements: !55)
!55 = !{!DISubrange(count: 16)}
!56 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !13, size: 64)
!57 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !14, size: 64)
!30 = distinct !DISubprogram(name: "count", scope: !3, file: !3, line: 7, type: !31, scopeLine: 7, flags: DIFlagPrototyped, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !33)
!31 = !DISubroutineType(types: !32)
!32 = !{!12, !60}
!60 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !61, size: 64)
!61 = !DICompositeType(tag: DW_TAG_structure_type, name: "xdp_md", file: !3, line: 1, size: 192, elements: !62)
!62 = !{}
!33 = !{!34}
!34 = !DILocalVariable(name: "ctx", arg: 1, scope: !30, file: !3, line: 7, type: !60)
!35 = !DILocation(line: 8, column: 5, scope: !30)
!36 = !DILocation(line: 9, column: 5, scope: !30)
!37 = !DILocation(line: 11, column: 5, scope: !30)
!38 = !DILocation(line: 12, column: 5, scope: !30)
!40 = distinct !DISubprogram(name: "double_it", scope: !3, file: !3, line: 4, type: !41, scopeLine: 4, flags: DIFlagPrototyped, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !43)
!41 = !DISubroutineType(types: !42)
!42 = !{!12, !12}
!43 = !{!44}
!44 = !DILocalVariable(name: "x", arg: 1, scope: !40, file: !3, line: 4, type: !12)
!45 = !DILocation(line: 5, column: 5, scope: !40)
'''


def _ir_string(text: str) -> str:
    """Escape text for an LLVM IR metadata string (``\\XX`` for anything not plain)."""
    plain = b" ._()=:-,+"
    return "".join(chr(b) if chr(b).isalnum() and b < 128 or b in plain else f"\\{b:02X}"
                   for b in text.encode())


def emit_bpf_object(ir: str) -> bytes:
    """Compile LLVM IR text to a BPF ELF object with llvmlite (BTF comes from the debug info)."""
    import llvmlite.binding as llvm
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    mod = llvm.parse_assembly(ir)
    mod.verify()
    tm = llvm.Target.from_triple("bpfel").create_target_machine(opt=2)
    return tm.emit_object(mod)


@pytest.fixture(scope="session")
def ir_object_source() -> str:
    """The Python source text the ``ir_object`` line info quotes (file name ``prog.py``)."""
    return OBJ_SOURCE


@pytest.fixture(scope="session")
def ir_object() -> bytes:
    """The hand-written module above as a BPF ELF object."""
    return emit_bpf_object(_OBJ_IR % {"source": _ir_string(OBJ_SOURCE)})
