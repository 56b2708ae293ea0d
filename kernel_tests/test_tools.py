"""The ports of well-known tools in examples/tools/, run as users run them: ``ebpfpy run
TOOL --json --duration S`` in a subprocess, while this process makes the events they report.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "examples" / "tools"

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the tools read kernel types from BTF")


class Run:
    """``ebpfpy run TOOL --json`` in the background; ``finish()`` gives its JSON lines."""

    def __init__(self, tool: str, duration: float) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ebpfpy", "run", str(TOOLS / tool), "--json",
             "--duration", str(duration)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.err: list[str] = []
        for line in self.proc.stderr:           # wait until every program is attached
            self.err.append(line)
            if line.startswith("streaming output"):
                break
        else:
            raise AssertionError("ebpfpy run stopped early:\n" + "".join(self.err))
        assert not any(ln.startswith("not attached") for ln in self.err), self.err

    def finish(self) -> tuple[list[dict], dict]:
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, "".join(self.err) + err
        lines = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
        events = [ln["event"] for ln in lines if "event" in ln]
        maps = next((ln["maps"] for ln in lines if "maps" in ln), {})
        return events, maps


def text(a: list[int]) -> str:
    return bytes(a).split(b"\0", 1)[0].decode("utf-8", "replace")


def test_execsnoop_reports_each_exec() -> None:
    run = Run("execsnoop.py", 2.5)
    children = []
    for _ in range(3):
        c = subprocess.Popen(["/bin/true"])
        c.wait()
        children.append(c.pid)
    events, _ = run.finish()
    mine = {e["pid"]: e for e in events if e["pid"] in children}
    assert sorted(mine) == sorted(children), events[:5]
    for e in mine.values():
        assert e["ppid"] == os.getpid()
        assert e["uid"] == os.getuid()
        assert text(e["comm"]) == "true"
        assert text(e["filename"]) == "/bin/true"


def test_opensnoop_reports_paths_and_results(tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("x")
    missing = tmp_path / "missing.txt"
    run = Run("opensnoop.py", 2.5)
    fd = os.open(present, os.O_RDONLY)
    os.close(fd)
    with pytest.raises(FileNotFoundError):
        os.open(missing, os.O_RDONLY)
    events, _ = run.finish()
    mine = {text(e["path"]): e for e in events if e["pid"] == os.getpid()}
    assert str(present) in mine and str(missing) in mine, list(mine)[:10]
    assert mine[str(present)]["ret"] >= 0
    assert mine[str(missing)]["ret"] == -2               # -ENOENT
    assert mine[str(present)]["flags"] & 3 == os.O_RDONLY


def test_syscall_latency_histogram_has_the_sleeps() -> None:
    run = Run("syscall_latency.py", 2.5)
    for _ in range(5):
        time.sleep(0.02)                                  # ~20 ms in clock_nanosleep
    for _ in range(200):                                  # fast ones of our own: a quiet
        os.getppid()                                      # machine makes few of its own
    _, maps = run.finish()
    hist = {k: v for k, v in maps["latency_hist"]}
    assert sum(hist.values()) > 100                       # every process's syscalls
    # 20 ms = 2^24.25 ns: bucket 24 ([16.8 ms, 33.6 ms)), 25 if the machine is slow
    assert hist.get(24, 0) + hist.get(25, 0) >= 5, hist
    assert all(0 <= k < 64 for k in hist)


def test_pkt_per_process_counts_what_this_process_sends() -> None:
    run = Run("pkt_per_process.py", 2.5)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n, payload = 50, b"p" * 100
    for _ in range(n):
        tx.sendto(payload, rx.getsockname())
    tx.close()
    rx.close()
    _, maps = run.finish()
    sent = {k: v for k, v in maps["sent"]}
    me = sent.get(os.getpid())
    assert me is not None, sorted(sent)
    assert me["packets"] >= n
    assert me["bytes"] >= n * (len(payload) + 28)         # + IPv4 and UDP headers
    assert text(me["comm"]) == Path(sys.executable).name[:15] or me["comm"][0] != 0


def test_killsnoop_reports_signals_through_the_perf_buffer() -> None:
    run = Run("killsnoop.py", 2.5)
    child = subprocess.Popen(["sleep", "30"])
    os.kill(child.pid, 0)
    os.kill(child.pid, 15)
    child.wait()
    events, _ = run.finish()
    mine = [(e["sig"], e["ret"]) for e in events
            if e["pid"] == os.getpid() and e["tpid"] == child.pid]
    assert mine == [(0, 0), (15, 0)], events[:5]
