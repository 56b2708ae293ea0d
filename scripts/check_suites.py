#!/usr/bin/env python3
"""Fail CI when a whole test suite was silently skipped or never collected.

Reads pytest's JUnit XML.  ``compiler_tests`` must run at least one test.  ``kernel_tests``
must run at least one test, unless every one of them was skipped by the session probe that
finds ``bpf()`` refused (its reason starts with PROBE_REASON): that is an honest skip.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

SUITES = ("compiler_tests", "kernel_tests")
PROBE_REASON = "bpf() not permitted here"


def suite_of(case: ET.Element) -> str | None:
    """The top-level test directory a JUnit ``testcase`` belongs to."""
    name = case.get("classname") or case.get("file") or ""
    head = name.replace("/", ".").split(".", 1)[0]
    return head if head in SUITES else None


def tally(path: str) -> dict[str, dict[str, list[str]]]:
    """Per suite: the outcome of each case ('run' or 'skipped') with skip messages."""
    out: dict[str, dict[str, list[str]]] = {s: defaultdict(list) for s in SUITES}
    for case in ET.parse(path).getroot().iter("testcase"):
        suite = suite_of(case)
        if suite is None:
            continue
        skip = case.find("skipped")
        if skip is None:
            out[suite]["run"].append(case.get("name", ""))
        else:
            out[suite]["skipped"].append(skip.get("message", "") + " " + (skip.text or ""))
    return out


def problems(counts: dict[str, dict[str, list[str]]]) -> list[str]:
    """Human-readable reasons the run must count as a failure."""
    bad = []
    for suite in SUITES:
        ran, skipped = counts[suite]["run"], counts[suite]["skipped"]
        if ran:
            continue
        if not skipped:
            bad.append(f"{suite}: no test was collected")
        elif suite == "kernel_tests" and all(PROBE_REASON in m for m in skipped):
            print(f"ci: {suite}: all {len(skipped)} tests skipped by the bpf() probe", file=sys.stderr)
        else:
            reasons = sorted({m.strip()[:120] for m in skipped})
            bad.append(f"{suite}: all {len(skipped)} tests skipped: " + "; ".join(reasons[:3]))
    return bad


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_suites.py JUNIT.xml", file=sys.stderr)
        return 2
    bad = problems(tally(argv[1]))
    for line in bad:
        print(f"ci: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
