"""scripts/test passes its arguments to pytest: a path given runs only that path (relative to
where the script was called from), no path runs the whole suite."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collected(*args: str, cwd: Path) -> list[str]:
    r = subprocess.run([str(ROOT / "scripts" / "test"), "--collect-only", "-q",
                        "-p", "no:cacheprovider", *args],
                       capture_output=True, text=True, cwd=cwd, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return [line for line in r.stdout.splitlines() if "::" in line]


def test_a_path_runs_only_that_path() -> None:
    ids = collected("test_doctor.py", cwd=ROOT / "compiler_tests")
    assert ids and all(i.startswith("compiler_tests/test_doctor.py::") for i in ids)


def test_no_path_runs_both_suites() -> None:
    ids = collected("-k", "doctor", cwd=ROOT)
    assert {i.split("/", 1)[0] for i in ids} == {"compiler_tests", "kernel_tests"}
