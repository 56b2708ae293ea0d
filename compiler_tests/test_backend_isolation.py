"""An LLVM fatal error during code generation ends a child process, not the caller; IR with
nothing LLVM stops on compiles in process, without a fork."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ebpfpy.lower.hazards import ir_hazard, stack_depth
from ebpfpy.lower.target import BackendError, emit_object, emit_object_isolated
from ebpfpy.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parent.parent

# 128-bit values: the BPF backend cannot lower them and stops with a fatal error.
FATAL_IR = """
target triple = "bpfel"
define i128 @f(i128 %a, i128 %b) {
  %c = mul i128 %a, %b
  ret i128 %c
}
"""

GOOD_IR = """
target triple = "bpfel"
define i64 @g(i64 %a) {
  %c = add i64 %a, 1
  ret i64 %c
}
"""


def test_fatal_error_becomes_an_exception() -> None:
    pid = os.getpid()
    with pytest.raises(BackendError) as ei:
        emit_object_isolated(FATAL_IR)
    assert os.getpid() == pid                   # still here
    assert str(ei.value) and "LLVM ERROR" not in str(ei.value)      # LLVM's own words


def test_good_ir_compiles_through_the_child() -> None:
    elf = emit_object_isolated(GOOD_IR)
    assert elf[:4] == b"\x7fELF"


def test_in_process_when_asked(monkeypatch) -> None:
    monkeypatch.setenv("EBPFPY_NO_FORK", "1")
    assert emit_object_isolated(GOOD_IR)[:4] == b"\x7fELF"


def test_abort_prints_nothing_when_faulthandler_is_on() -> None:
    """pytest enables faulthandler on a copy of stderr; the child's abort stays quiet."""
    import subprocess
    import sys
    code = ("import faulthandler, os\n"
            "faulthandler.enable(file=os.dup(2))\n"          # as pytest's faulthandler plugin
            "from ebpfpy.lower.target import BackendError, emit_object_isolated\n"
            f"try:\n    emit_object_isolated({FATAL_IR!r})\n"
            "except BackendError as e:\n    print('caught:', e)\n")
    r = subprocess.run([sys.executable, "-c", code],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("caught: ") and "Fatal Python error" not in r.stdout
    assert r.stderr == ""


# Each of these ends the process when emitted in process (LLVM 22's BPF backend: checked by
# running emit_object on each in a subprocess); each must be seen as a hazard.
HEAD = 'target triple = "bpfel"\n'
MEMCPY = "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n"
FATAL = {
    "i128 product": FATAL_IR,
    "high half of a product": HEAD + "define i64 @f(i64 %a, i64 %b) {\n %x = zext i64 %a to i128\n"
        " %y = zext i64 %b to i128\n %c = mul i128 %x, %y\n %s = lshr i128 %c, 64\n"
        " %t = trunc i128 %s to i64\n ret i64 %t\n}\n",
    "long memcpy": HEAD + MEMCPY + "define void @f(ptr %a, ptr %b) {\n call void "
        "@llvm.memcpy.p0.p0.i64(ptr align 8 %a, ptr align 8 %b, i64 1032, i1 false)\n ret void\n}\n",
    "unaligned long memcpy": HEAD + MEMCPY + "define void @f(ptr %a, ptr %b) {\n call void "
        "@llvm.memcpy.p0.p0.i64(ptr %a, ptr %b, i64 1025, i1 false)\n ret void\n}\n",
    "runtime-length memcpy": HEAD + MEMCPY + "define void @f(ptr %a, ptr %b, i64 %n) {\n call void "
        "@llvm.memcpy.p0.p0.i64(ptr %a, ptr %b, i64 %n, i1 false)\n ret void\n}\n",
    "memset": HEAD + "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)\ndefine void @f(ptr %a) {\n"
        " call void @llvm.memset.p0.i64(ptr %a, i8 0, i64 4096, i1 false)\n ret void\n}\n",
    "signed division": HEAD + "define i64 @f(i64 %a, i64 %b) {\n %c = sdiv i64 %a, %b\n ret i64 %c\n}\n",
    "signed remainder": HEAD + "define i64 @f(i64 %a, i64 %b) {\n %c = srem i64 %a, %b\n ret i64 %c\n}\n",
    "float": HEAD + "define double @f(double %a, double %b) {\n %c = fadd double %a, %b\n"
        " ret double %c\n}\n",
    "atomic nand": HEAD + "define i64 @f(ptr %p) {\n %c = atomicrmw nand ptr %p, i64 1 seq_cst\n"
        " ret i64 %c\n}\n",
    "8-bit atomic add": HEAD + "define i8 @f(ptr %p) {\n %c = atomicrmw add ptr %p, i8 1 seq_cst\n"
        " ret i8 %c\n}\n",
    "8-bit cmpxchg": HEAD + "define i8 @f(ptr %p) {\n %c = cmpxchg ptr %p, i8 0, i8 1 seq_cst seq_cst\n"
        " %v = extractvalue {i8, i1} %c, 0\n ret i8 %v\n}\n",
    "dynamic alloca": HEAD + "define i64 @f(i64 %n) {\n %a = alloca i8, i64 %n\n"
        " store volatile i8 1, ptr %a\n ret i64 0\n}\n",
    "aggregate return": HEAD + "define {i64, i64, i64} @f(i64 %n) {\n"
        " %a = insertvalue {i64, i64, i64} undef, i64 %n, 0\n ret {i64, i64, i64} %a\n}\n",
    "vector": HEAD + "define <4 x i32> @f(<4 x i32> %a, <4 x i32> %b) {\n %c = mul <4 x i32> %a, %b\n"
        " ret <4 x i32> %c\n}\n",
}


@pytest.mark.parametrize("name", sorted(FATAL))
def test_each_fatal_construct_is_a_hazard_and_isolated(name: str) -> None:
    assert ir_hazard(FATAL[name])
    with pytest.raises(BackendError) as ei:
        emit_object_isolated(FATAL[name])
    assert str(ei.value)


def _no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise AssertionError("forked for IR with no hazard")
    monkeypatch.setattr(os, "fork", refuse)


def test_memcpy_of_1024_bytes_is_no_hazard(monkeypatch: pytest.MonkeyPatch) -> None:
    ir = HEAD + MEMCPY + ("define void @f(ptr %a, ptr %b) {\n call void @llvm.memcpy.p0.p0.i64("
                          "ptr %a, ptr %b, i64 1024, i1 false)\n ret void\n}\n")
    assert ir_hazard(ir) is None
    _no_fork(monkeypatch)
    assert emit_object_isolated(ir)[:4] == b"\x7fELF"


def test_names_and_the_datalayout_are_not_read_as_types() -> None:
    ir = ('target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"\n' + HEAD +
          'define i64 @"f"(i64 %"i128") {\n %"double" = add i64 %"i128", 1\n ret i64 %"double"\n}\n')
    assert ir_hazard(ir) is None


EXAMPLES = sorted([*ROOT.glob("examples/*.py"), *ROOT.glob("benchmarks/py/*.py")])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_compile_in_process(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No example or benchmark kernel pays for a fork: their IR holds no hazard."""
    ir = run_pipeline(path.read_text(), str(path), stop_after="ir")
    _no_fork(monkeypatch)
    assert emit_object_isolated(ir)[:4] == b"\x7fELF"


BIG_FRAME = HEAD + """define i64 @f(i64 %i) {
  %a = alloca [128 x i64]
  %p = getelementptr [128 x i64], ptr %a, i64 0, i64 %i
  store volatile i64 1, ptr %p
  %q = getelementptr [128 x i64], ptr %a, i64 0, i64 3
  %v = load volatile i64, ptr %q
  ret i64 %v
}
"""


def test_a_frame_past_512_bytes_is_an_exception_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLVM's own check would end the process; the frame is read from the object instead."""
    assert ir_hazard(BIG_FRAME) is None
    _no_fork(monkeypatch)
    with pytest.raises(BackendError, match="stack limit is exceeded: a frame of 10[0-9][0-9] bytes"):
        emit_object_isolated(BIG_FRAME)


def test_stack_depth_reads_both_frame_forms() -> None:
    """``*(r10 - N)`` and ``rX = r10; rX += -N``: a 64-byte frame reads as 64."""
    small = BIG_FRAME.replace("128 x i64", "8 x i64")
    assert stack_depth(emit_object(small)) == 64


def test_a_kfunc_call_is_no_hazard_but_another_external_is() -> None:
    """A kfunc is an extern in ``.ksyms`` that libbpf resolves at load: the backend emits
    a call to it.  Any other external function is still a hazard."""
    body = ("define i64 @f(ptr %a) {\n %p = call ptr @bpf_rbtree_first(ptr %a)\n"
            " %r = ptrtoint ptr %p to i64\n ret i64 %r\n}\n")
    kfunc = HEAD + 'declare ptr @"bpf_rbtree_first"(ptr %".1") nounwind section ".ksyms"\n' + body
    other = HEAD + "declare ptr @bpf_rbtree_first(ptr)\n" + body
    assert ir_hazard(kfunc) is None
    assert ir_hazard(other) == "a call to the external function bpf_rbtree_first"
