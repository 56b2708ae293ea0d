"""examples/gol.py: the Game of Life that runs forever in a timer callback.

``--check N`` lets the kernel compute N generations (the callback stops re-arming at the
limit) and compares them cell for cell with NumPy; the live mode draws the board in a
terminal (a pty here) and must show the generation count rising; Ctrl-C exits cleanly.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest

GOL = Path(__file__).resolve().parent.parent / "examples" / "gol.py"


def run_gol(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GOL), *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args", [
    ["--size", "1024x1024", "--check", "100"],
    ["--size", "64x48", "--check", "300"],
    ["--size", "8x8", "--check", "40", "--seed", "3"],
    ["--size", "4095x17", "--check", "30"],                # odd width, ghost column at 4095
    ["--size", "4096x8", "--check", "30"],                 # full width: the mask wraps
    ["--size", "40x100", "--pattern", "glider", "--check", "160"],
    ["--size", "64x32", "--pattern", "gosper", "--check", "300"],
    ["--size", "128x96", "--period", "1", "--check", "20"],
], ids=lambda a: " ".join(a))
def test_check_matches_numpy(args):
    r = run_gol(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "match the NumPy reference" in r.stdout


def test_glider_comes_home():
    """On a torus of side 4k a glider returns to its start after 4k generations."""
    sys.path.insert(0, str(GOL.parent))
    try:
        import gol
    finally:
        sys.path.pop(0)
    start = gol.initial_board("glider", 16, 16, seed=0)
    assert np.array_equal(gol.reference(start, 64), start)
    r = run_gol("--size", "16x16", "--pattern", "glider", "--check", "64")
    assert r.returncode == 0, r.stdout + r.stderr


def test_rle_file(tmp_path):
    rle = tmp_path / "blinker.rle"
    rle.write_text("#C a blinker\nx = 3, y = 1, rule = B3/S23\n3o!\n")
    r = run_gol("--size", "16x8", "--pattern", str(rle), "--check", "7")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "(3 alive" in r.stdout


def test_bad_size_is_a_clean_error():
    r = run_gol("--size", "5000x10", "--check", "1")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and "--size" in r.stderr


def _spawn_in_pty(*args: str, cols: int = 100, rows: int = 30) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen([sys.executable, str(GOL), *args], stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)
    return proc, master


def _read_all(proc: subprocess.Popen, master: int, timeout: float) -> str:
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:          # EIO: the child closed the pty
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return out.decode("utf-8", "replace")


def _generations(text: str) -> list[int]:
    return [int(g) for g in re.findall(r"generation (\d+) ", text)]


def test_live_mode_draws_and_counts_up():
    proc, master = _spawn_in_pty("--size", "512x384", "--duration", "2")
    out = _read_all(proc, master, timeout=60)
    assert proc.wait(timeout=30) == 0, out[-2000:]
    gens = _generations(out)
    assert len(gens) > 10 and gens == sorted(gens) and gens[-1] > gens[0] + 50, gens[:5] + gens[-5:]
    assert any(ch in out for ch in "▀▄█")                  # the board, in half blocks
    assert "stopped at generation" in out


def test_ctrl_c_exits_cleanly():
    proc, master = _spawn_in_pty("--size", "256x256")
    time.sleep(2.0)
    os.killpg(proc.pid, signal.SIGINT)
    out = _read_all(proc, master, timeout=30)
    assert proc.wait(timeout=30) == 0, out[-2000:]
    assert "Traceback" not in out
    assert "stopped at generation" in out
    assert "\x1b[?1049l" in out                              # the terminal is restored
