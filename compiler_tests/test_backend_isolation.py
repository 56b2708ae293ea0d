"""An LLVM fatal error during code generation ends a child process, not the caller."""
from __future__ import annotations

import os

import pytest

from ebpfpy.lower.target import BackendError, emit_object_isolated

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
