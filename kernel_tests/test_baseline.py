"""Code size and verifier work of every example and benchmark kernel stay within 5% of the
committed baseline (benchmarks/baseline.json): xlated instructions, JIT bytes and processed
instructions, read from the kernel after loading.  Timings are not tested.

A change that makes a figure grow past 5% updates the baseline in the same commit, with the
reason:  python benchmarks/baseline.py --update --reason "..."
"""
from __future__ import annotations

import importlib.util
import platform
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
# by path: putting benchmarks/ on sys.path would let benchmarks/http.py hide the stdlib's http
_spec = importlib.util.spec_from_file_location("ebpfpy_baseline", BENCH / "baseline.py")
assert _spec is not None and _spec.loader is not None
baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baseline)

BASE = baseline.read_baseline()
UPDATE = 'python benchmarks/baseline.py --update --reason "..."'


def _recorded_for(path: Path) -> dict:
    prefix = baseline.key(path, "")
    return {k: v for k, v in BASE["programs"].items() if k.startswith(prefix)}


@pytest.mark.parametrize("path", baseline.sources(), ids=lambda p: p.name)
def test_figures_within_tolerance_of_the_baseline(path: Path) -> None:
    if BASE["kernel"].split(".")[:2] != platform.release().split(".")[:2]:
        pytest.skip(f"baseline recorded on Linux {BASE['kernel']}, this is "
                    f"{platform.release()}: the verifier's counts differ ({UPDATE})")
    problems = baseline.compare(baseline.measure(path), _recorded_for(path), BASE["tolerance"])
    assert not problems, "\n".join(problems) + f"\nif intended: {UPDATE}"


def test_the_baseline_says_why_it_was_last_changed() -> None:
    assert BASE["reason"].strip()
    assert BASE["tolerance"] == baseline.TOLERANCE


def test_compare_flags_growth_past_the_tolerance_only() -> None:
    base = {"f.py:p": {"xlated": 100, "jited_bytes": 1000, "processed": 200}}
    assert baseline.compare({"f.py:p": {"xlated": 105, "jited_bytes": 1050, "processed": 210}},
                            base) == []
    assert baseline.compare({"f.py:p": {"xlated": 50, "jited_bytes": 500, "processed": 20}},
                            base) == []
    grown = baseline.compare({"f.py:p": {"xlated": 106, "jited_bytes": 1000, "processed": 200}},
                             base)
    assert grown == ["f.py:p: xlated 100 -> 106 (+6.0%, over 5%)"]
    assert baseline.compare({}, base) == ["f.py:p: in the baseline but not loaded now"]
    assert baseline.compare({"f.py:p": {"error": "refused"}}, base) == [
        "f.py:p: loaded, now refused: refused"]
    new = baseline.compare({**base, "g.py:q": base["f.py:p"]}, base)
    assert new == ["g.py:q: not in the baseline (add it with --update --reason)"]
