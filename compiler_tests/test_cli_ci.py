"""The CI gate (scripts/check_suites.py): a suite that vanished or was skipped whole fails CI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_suites.py"
PROBE = "bpf() not permitted here: BPF_PROG_LOAD failed with EPERM — kernel tests skipped"


def junit(cases: list[tuple[str, str | None]]) -> str:
    """JUnit XML with one testcase per (classname, skip message or None for a pass)."""
    body = []
    for cls, skip in cases:
        inner = f'<skipped type="pytest.skip" message="{skip}">{skip}</skipped>' if skip else ""
        body.append(f'<testcase classname="{cls}" name="t">{inner}</testcase>')
    return f'<testsuites><testsuite name="pytest">{"".join(body)}</testsuite></testsuites>'


def gate(tmp_path: Path, cases: list[tuple[str, str | None]]) -> subprocess.CompletedProcess:
    xml = tmp_path / "junit.xml"
    xml.write_text(junit(cases))
    return subprocess.run([sys.executable, str(SCRIPT), str(xml)], capture_output=True, text=True)


@pytest.mark.parametrize("cases,ok,says", [
    ([("compiler_tests.test_a", None), ("kernel_tests.test_k", None)], True, ""),
    ([("compiler_tests.test_a", None), ("kernel_tests.test_k", PROBE),
      ("kernel_tests.test_j", PROBE)], True, "skipped by the bpf() probe"),
    ([("compiler_tests.test_a", None), ("kernel_tests.test_k", "no veth")], False,
     "kernel_tests: all 1 tests skipped: no veth"),
    ([("compiler_tests.test_a", None), ("kernel_tests.test_k", PROBE),
      ("kernel_tests.test_j", "no tracefs")], False, "all 2 tests skipped"),
    ([("compiler_tests.test_a", None)], False, "kernel_tests: no test was collected"),
    ([("compiler_tests.test_a", "later"), ("kernel_tests.test_k", None)], False,
     "compiler_tests: all 1 tests skipped"),
    ([("compiler_tests.test_a", None), ("kernel_tests.test_k", "flaky"),
      ("kernel_tests.test_j", None)], True, ""),
])
def test_suite_gate(tmp_path: Path, cases, ok: bool, says: str) -> None:
    res = gate(tmp_path, cases)
    assert (res.returncode == 0) is ok, res.stderr
    assert says in res.stderr
