"""``ebpfpy doctor``: what this machine provides for eBPF, what is missing and how to fix it.

Exit status 0 when nothing blocks loading programs here, 1 when something does (a row marked
``missing``); ``warn`` rows name what is unavailable without stopping ebpfpy.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False    # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    import argparse
    from typing import Any

EXIT_MISSING = 1
_MARK = {"ok": "ok", "warn": "warn", "missing": "MISSING"}


def register(sub: Any) -> None:
    """Add the ``doctor`` subcommand to the CLI's subparsers."""
    help_text = ("check what this machine needs for eBPF (kernel, BTF, libbpf, capabilities, "
                 "mounts, sysctls, JIT, program kinds) and say how to fix what is missing")
    sp = sub.add_parser("doctor", help=help_text, description=help_text)
    sp.add_argument("--json", action="store_true", help="one JSON object per finding")
    sp.set_defaults(func=cmd_doctor, file=None)


def render(findings: list[Any]) -> str:
    """The report as aligned text: status, check, what was found; the fix below a problem."""
    width = max(len(f.check) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"{_MARK[f.status.value]:<8} {f.check:<{width}}  {f.detail}")
        if f.fix:
            lines.append(f"{'':<8} {'':<{width}}  fix: {f.fix}")
    return "\n".join(lines) + "\n"


def cmd_doctor(args: argparse.Namespace) -> int:
    import json                               # lazy: start-up time (see cli.py)

    from .doctor import Status, run_checks    # lazy: start-up time (see cli.py)
    findings = run_checks()
    if args.json:
        for f in findings:
            print(json.dumps(f.as_dict()))
    else:
        sys.stdout.write(render(findings))
        missing = sum(f.status is Status.MISSING for f in findings)
        warned = sum(f.status is Status.WARN for f in findings)
        print(f"\n{missing} missing, {warned} warnings" + (
            ": ebpfpy can load programs here" if not missing else ""))
    return EXIT_MISSING if any(f.status is Status.MISSING for f in findings) else 0
