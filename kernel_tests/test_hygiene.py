"""Resource hygiene: 1,000 load/close and attach/detach cycles leave nothing behind.

Leaks are counted two ways: this process's file descriptors (/proc/self/fd), and the
kernel's lists of programs, maps and links (bpftool).  Objects other processes hold while
the test runs (another test run, a daemon) are told apart by their /proc/PID/fdinfo.
"""
from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ebpfpy

ROOT = Path(__file__).resolve().parent.parent
CYCLES = 1000

SOURCE = '''
from ebpfpy import bpf_program, struct, HashMap, Array, RingBuf, u32, u64

@struct
class Ev:
    pid: u32
    n: u32

counts = HashMap(u32, u64, max_entries=64)
grid = Array(u64, 8)
events = RingBuf(4096, event=Ev)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx) -> int:
    counts[1] += 1
    return 0

@bpf_program("syscall")
def poke(ctx) -> int:
    grid[0] += 1
    events.output(Ev(pid=1, n=2))
    return 0
'''


def kernel_ids(kind: str) -> set[int]:
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True)
    return {e["id"] for e in json.loads(out.stdout or "[]")}


def held_elsewhere(kind: str) -> set[int]:
    """Ids of ``kind`` objects that other processes hold open."""
    key = {"prog": "prog_id:", "map": "map_id:", "link": "link_id:"}[kind]
    ids: set[int] = set()
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fdinfo"):
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    for line in f:
                        if line.startswith(key):
                            ids.add(int(line.split()[1]))
        except OSError:
            continue
    return ids


class Snapshot:
    """Descriptors and kernel objects now; ``leaks()`` lists what is new later."""

    def __init__(self) -> None:
        self.fds = set(os.listdir("/proc/self/fd"))
        self.ids = {k: kernel_ids(k) for k in ("prog", "map", "link")}
        self.pins = set(os.listdir("/sys/fs/bpf")) if os.path.isdir("/sys/fs/bpf") else set()

    def leaks(self) -> dict[str, object]:
        gc.collect()
        deadline = time.time() + 5           # the kernel frees objects asynchronously
        while True:
            new = {k: kernel_ids(k) - v - held_elsewhere(k) for k, v in self.ids.items()}
            if not any(new.values()) or time.time() > deadline:
                break
            time.sleep(0.1)
        fds = set(os.listdir("/proc/self/fd")) - self.fds
        pins = (set(os.listdir("/sys/fs/bpf")) if os.path.isdir("/sys/fs/bpf") else set()) - self.pins
        return {k: v for k, v in {"fds": fds, **new, "pins": pins}.items() if v}


@pytest.fixture(scope="module")
def elf() -> bytes:
    return ebpfpy.compile(source=SOURCE, filename="hygiene.py")


def test_load_close_cycles(elf: bytes) -> None:
    before = Snapshot()
    for i in range(CYCLES):
        with ebpfpy.load(elf) as obj:
            if i % 100 == 0:            # exercise maps, ring buffers and views now and then
                obj.programs.poke.test_run()
                assert obj.maps.grid[0] == 1
                assert len(list(obj.maps.events.poll(timeout=0.01))) == 1
    assert before.leaks() == {}


def test_attach_detach_cycles(elf: bytes) -> None:
    before = Snapshot()
    with ebpfpy.load(elf) as obj:
        prog = obj.programs.on_getppid
        for i in range(CYCLES):
            link = prog.attach()
            if i % 250 == 0:
                os.getppid()
            link.detach()
        assert obj.maps.counts.get(1, 0) >= 1
    assert before.leaks() == {}


def test_garbage_collection_releases(elf: bytes) -> None:
    before = Snapshot()
    for _ in range(50):
        obj = ebpfpy.load(elf)
        obj.programs.on_getppid.attach()        # a link owned by the object, never detached
        del obj
    assert before.leaks() == {}


def test_run_interrupted_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hygiene.py"
    path.write_text(SOURCE)
    before = Snapshot()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "ebpfpy", "run", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not (kernel_ids("link") - before.ids["link"]) and time.time() < deadline:
            time.sleep(0.1)                     # attached: the run is under way
        assert kernel_ids("link") - before.ids["link"], "ebpfpy run never attached"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert before.leaks() == {}
