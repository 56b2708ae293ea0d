"""Polling ring and perf buffers under a producer that never lets up: ``poll(timeout)``
returns on time (libbpf 1.1's ring_buffer__poll reads until the ring is empty, which a busy
producer never allows), and Ctrl-C (SIGINT's KeyboardInterrupt, which Python raises at the
first instruction of whichever Python code runs next -- often the C callback receiving a
record) stops the poll with KeyboardInterrupt instead of being printed and dropped by cffi.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BUSY = textwrap.dedent('''
    from ebpfpy import bpf_program, helpers, struct, PerfEventArray, RingBuf, u32, u64

    @struct
    class Rec:
        pid: u32
        n: u64

    target: u32 = 0
    ring = RingBuf(1 << 16, event=Rec)
    perf = PerfEventArray(event=Rec)

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def to_ring(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) == target:
            ring.output(Rec(pid=target, n=1))
        return 0

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def to_perf(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) == target:
            perf.output(ctx, Rec(pid=target, n=2))
        return 0
''')

SPIN = "import os\nwhile True: os.getppid()"


@pytest.fixture
def busy(tmp_path):
    """The module's path and a child calling getppid as fast as it can."""
    path = tmp_path / "busy.py"
    path.write_text(BUSY)
    child = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        yield path, child.pid
    finally:
        child.kill()
        child.wait()


def test_ringbuf_poll_returns_on_time_under_a_busy_producer(busy) -> None:
    import ebpfpy
    path, pid = busy
    with ebpfpy.load(str(path)) as obj:
        obj.globals.target = pid
        with obj.programs.to_ring.attach():
            start = time.monotonic()
            n = sum(1 for _ in obj.maps.ring.poll(timeout=0.3))
            took = time.monotonic() - start
    assert n > 1000, n                              # the producer did keep it busy
    assert took < 1.5, took


CONSUMER = textwrap.dedent('''
    import sys
    import ebpfpy
    with ebpfpy.load(sys.argv[1]) as obj:
        obj.globals.target = int(sys.argv[2])
        prog = obj.programs[sys.argv[3]]
        buf = obj.maps.ring if sys.argv[3] == "to_ring" else obj.maps.perf
        with prog.attach():
            print("polling", flush=True)
            try:
                for rec in buf.poll(timeout=None):
                    pass
            except KeyboardInterrupt:
                print("interrupted", flush=True)
''')


@pytest.mark.parametrize("prog", ["to_perf", "to_ring"])
def test_ctrl_c_stops_a_busy_poll(busy, prog: str, tmp_path) -> None:
    path, pid = busy
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER)
    env = dict(os.environ, EBPFPY_NO_SERVER="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(pid), prog],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline() == "polling\n", proc.stderr.read()
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out == "interrupted\n", err
    assert "From cffi callback" not in err, err
