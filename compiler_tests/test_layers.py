"""ebpfpy's imports only go down its floors, and no two of its modules import each other.

The contracts live in pyproject.toml (``[tool.importlinter]``) and are checked by import-linter
(``lint-imports``); docs/language.md ("The pipeline") explains the floors.  The planted
violations prove each contract can fail: a copy of the package gets one bad import, or a
module no floor lists, and ``lint-imports`` must then name the broken contract.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ebpfpy"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(),
                                reason="import-linter is not installed (pip install -e .[test])")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found in ``cwd`` with the repository's contracts."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept() -> None:
    res = lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "BROKEN" not in res.stdout and res.stdout.count("KEPT") == 4


PLANTED = [
    # the lowering reaching up into the checker
    ("lower/ints.py", "from ..frontend import cost\n", "ebpfpy's floors: imports only go down"),
    # a module no floor lists
    ("stray.py", "X = 1\n", "ebpfpy's floors: imports only go down"),
    # the checker loading libbpf through the loader
    ("frontend/flow.py", "from ..loader import maps\n", "the compiler never imports the loader"),
    # two siblings importing each other (model.typed imports model.items)
    ("model/items.py", "from . import typed\n", "no import cycle between the modules"),
    # a module going through the package root (which imports api, and so the pipeline)
    ("cache.py", "import ebpfpy\n", "no module of ebpfpy imports the package root"),
]


@pytest.mark.parametrize("path, line, contract", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_violation_breaks_its_contract(tmp_path: Path, path: str, line: str,
                                                  contract: str) -> None:
    shutil.copytree(PACKAGE, tmp_path / "ebpfpy", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "ebpfpy" / path
    target.write_text((target.read_text() if target.exists() else "") + line)
    res = lint_imports(tmp_path)
    assert res.returncode != 0
    broken = [ln for ln in res.stdout.splitlines() if ln.endswith(" BROKEN")]
    assert any(b.startswith(contract) for b in broken), res.stdout


def _function_imports(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every import inside a function of ``path`` with no comment saying why."""
    text = path.read_text()
    lines = text.splitlines()
    found = []
    for fn in ast.walk(ast.parse(text)):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                    if "#" not in here and not above.startswith("#"):
                        found.append((node.lineno, here.strip()))
    return found


def test_imports_inside_functions_are_few_and_each_says_why() -> None:
    """Imports belong at the top; a lazy one (start-up time, an optional library) is commented."""
    bad = [f"{p.relative_to(ROOT)}:{n}: {text}" for p in sorted(PACKAGE.rglob("*.py"))
           for n, text in _function_imports(p)]
    assert not bad, "imports inside functions without a comment:\n" + "\n".join(bad)


def test_an_uncommented_import_inside_a_function_is_found(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    # lazy: start-up time\n    import json\n"
                 "    import os  # lazy: why\n    import re\n")
    assert _function_imports(f) == [(5, "import re")]
