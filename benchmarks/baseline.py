"""The deterministic figures of every example and benchmark kernel, against a committed baseline.

    python benchmarks/baseline.py                                  # compare with baseline.json
    python benchmarks/baseline.py --update --reason "why they moved"   # rewrite it

For every program of every file in ``SOURCES`` it loads the object and reads from the kernel
the xlated instructions, the JIT image bytes and the verifier's processed instructions
(``bpf_prog_info``): figures that do not depend on timing or load.  A figure more than 5%
above the baseline is a regression; so is a program missing from either side.  To accept a
change, rewrite the file in the same commit with ``--update --reason``: the reason is kept
in the file (and the previous ones under ``history``), where review sees it.
kernel_tests/test_baseline.py runs the comparison in the test suite.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))
sys.path.append(str(BENCH))         # last: benchmarks/http.py must not hide the stdlib's http

import ebpfpy  # noqa: E402
from ebpfpy.atomic_write import write_atomic  # noqa: E402
from ebpfpy.errors import CompileError  # noqa: E402
from proginfo import prog_info  # noqa: E402

BASELINE = BENCH / "baseline.json"
FIGURES = ("xlated", "jited_bytes", "processed")
TOLERANCE = 0.05
# every example and benchmark kernel; examples/limits/ are the programs that probe the
# verifier's limits (seconds of verification each), measured by benchmarks/limits.py
SOURCE_GLOBS = ("examples/*.py", "examples/tutorial/*.py", "examples/tools/*.py",
                "benchmarks/py/*.py")


def sources() -> list[Path]:
    """The files measured, in a stable order."""
    return sorted(p for g in SOURCE_GLOBS for p in ROOT.glob(g))


def key(path: Path, prog: str) -> str:
    return f"{path.relative_to(ROOT).as_posix()}:{prog}"


def measure(path: Path) -> dict[str, dict[str, Any]]:
    """``{"FILE:PROGRAM": {figure: value}}`` for each program of ``path``; empty for a file
    that is not meant to compile (a tutorial step showing a compile error), and
    ``{"FILE:*": {"error": first line}}`` for one the kernel refuses."""
    try:
        ebpfpy.compile(path)
    except CompileError:
        return {}
    out = {}
    try:
        with ebpfpy.load(path) as obj:
            for name, prog in sorted(obj.programs.items()):
                info = prog_info(prog.fd)
                out[key(path, name)] = {f: info[f] for f in FIGURES}
    except Exception as e:                  # noqa: BLE001 - a refusal is a figure too
        return {key(path, "*"): {"error": str(e).splitlines()[0]}}
    return out


def read_baseline(path: Path = BASELINE) -> dict[str, Any]:
    return json.loads(path.read_text())


def compare(current: dict[str, dict[str, int]], base: dict[str, dict[str, int]],
            tolerance: float = TOLERANCE) -> list[str]:
    """One line per regression: a figure past ``tolerance`` above its baseline, or a program
    on one side only."""
    problems = []
    for k in sorted(set(base) - set(current)):
        problems.append(f"{k}: in the baseline but not loaded now")
    for k in sorted(set(current) - set(base)):
        problems.append(f"{k}: not in the baseline (add it with --update --reason)")
    for k in sorted(set(base) & set(current)):
        if "error" in current[k] or "error" in base[k]:
            if "error" not in base[k]:
                problems.append(f"{k}: loaded, now refused: {current[k]['error']}")
            elif "error" not in current[k]:
                problems.append(f"{k}: refused in the baseline, now loads (--update --reason)")
            continue
        for f in FIGURES:
            was, now = base[k][f], current[k][f]
            if now > was * (1 + tolerance):
                problems.append(f"{k}: {f} {was} -> {now} (+{(now - was) / was:.1%}, "
                                f"over {tolerance:.0%})")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--update", action="store_true", help="rewrite the baseline from this run")
    ap.add_argument("--reason", help="why the figures moved (required with --update)")
    args = ap.parse_args(argv)
    if args.update and not (args.reason or "").strip():
        ap.error("--update needs --reason: say why the figures moved")
    current: dict[str, dict[str, int]] = {}
    for path in sources():
        current.update(measure(path))
    if args.update:
        old = read_baseline() if BASELINE.exists() else {}
        history = old.get("history", []) + ([old["reason"]] if old.get("reason") else [])
        doc = {"reason": args.reason.strip(), "history": history,
               "kernel": platform.release(), "tolerance": TOLERANCE, "programs": current}
        write_atomic(BASELINE, (json.dumps(doc, indent=1, sort_keys=False) + "\n").encode())
        print(f"wrote {BASELINE.relative_to(ROOT)}: {len(current)} programs")
        return 0
    problems = compare(current, read_baseline()["programs"])
    for line in problems:
        print(line)
    print(f"{len(current)} programs, {len(problems)} regressions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
