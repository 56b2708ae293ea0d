"""examples/gol.py's command line without the kernel: a bad ``--pattern`` is one line, and
SIGTERM or SIGHUP leave the terminal as they found it (main screen, cursor shown)."""
from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GOL = EXAMPLES / "gol.py"
ENTER, LEAVE = "\x1b[?1049h\x1b[?25l", "\x1b[?25h\x1b[?1049l"

# live() drawing a board that a stand-in for the kernel side keeps at generation 7.
DRAW = f'''
import sys
sys.path.insert(0, {str(EXAMPLES)!r})
import numpy as np
import gol

class StillLife:
    w, h = 16, 8
    def status(self):
        return 7, False
    def current(self, generation):
        return np.ones((self.h, self.w), dtype=np.uint8)

sys.exit(gol.live(StillLife(), None, sys.stdout))
'''


@pytest.mark.parametrize("pattern,says", [
    ("no-such-pattern", "not random, glider or gosper, and not a readable RLE file "
                        "(No such file or directory)"),
    (".", "not random, glider or gosper, and not a readable RLE file (Is a directory)"),
])
def test_a_bad_pattern_is_one_line(pattern: str, says: str) -> None:
    r = subprocess.run([sys.executable, str(GOL), "--size", "16x16", "--pattern", pattern],
                       capture_output=True, text=True, timeout=120, cwd=EXAMPLES)
    assert r.returncode == 1
    assert r.stderr == f"gol.py: --pattern {pattern}: {says}\n"


def read_until(fd: int, needle: str, timeout: float) -> str:
    out, end = "", time.monotonic() + timeout
    while needle not in out and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:          # EIO: the child closed its side of the terminal
                break
            if not chunk:
                break
            out += chunk.decode(errors="replace")
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_restores_the_terminal(sig: int) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", DRAW], stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    try:
        shown = read_until(master, "generation 7", timeout=120)
        assert ENTER in shown, shown[-500:]
        proc.send_signal(sig)
        rest = read_until(master, "stopped at generation", timeout=60)
        assert proc.wait(timeout=60) == 128 + sig
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert LEAVE in rest, rest[-500:]
    assert rest.index(LEAVE) < rest.index("stopped at generation 7")
    assert "Traceback" not in rest
