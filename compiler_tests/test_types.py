"""mypy finds no error in ebpfpy/ at the strictness ``[tool.mypy]`` in pyproject.toml states.

Every function is annotated and every body checked; ``# type: ignore[code]`` is allowed only
with a comment saying why (a library without stubs), and an unused one is itself an error.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / f"ebpfpy-mypy-cache-{sys.version_info[0]}{sys.version_info[1]}"


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e .[test])")
def test_mypy_finds_no_error_in_the_package() -> None:
    res = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(CACHE),
                          "--config-file", str(ROOT / "pyproject.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("Success: no issues found")
