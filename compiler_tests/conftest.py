"""Compiler test options: ``--update-golden`` rewrites golden files instead of comparing."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Callable

import pytest


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
