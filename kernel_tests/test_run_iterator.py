"""``ebpfpy run`` on an ``iter/task`` program prints one line per process (pid, comm)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tutorial" / "06_iterator.py"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ebpfpy", "run", str(EXAMPLE), *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_run_lists_tasks_with_pid_and_comm() -> None:
    r = run("--duration", "0.2")
    assert r.returncode == 0, r.stderr
    rows = [line.split(None, 1) for line in r.stdout.splitlines() if line.strip()]
    pids = {int(p) for p, _ in rows if p.isdigit()}
    assert os.getpid() in pids                          # this test's own process is listed
    assert any(c.strip() == "kthreadd" for _, c in rows)
    assert "Traceback" not in r.stderr


def test_run_json_lines() -> None:
    r = run("--duration", "0.2", "--json")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    mine = [rec for rec in recs if rec.get("iterator") == "tasks"
            and rec["line"].split()[0] == str(os.getpid())]
    assert mine
