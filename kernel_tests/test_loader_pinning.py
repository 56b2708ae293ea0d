"""Maps pinned with ``load(..., pin_dir=D)`` outlive the object: a timer keeps running with no
process holding it, a second load reuses the pinned maps, and removing the pins frees it all."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.loader.pinning import pin_name, pinned, remove_pins

ROOT = Path(__file__).resolve().parent.parent
TIMER = ROOT / "examples" / "tutorial" / "05_timer.py"     # a self re-arming timer


@pytest.fixture
def pin_dir(tmp_path: Path):
    """A directory in a bpffs of this test's own: other sessions' pin checks never see (or
    remove) its pins, and unmounting frees whatever a failed test left."""
    root = tmp_path / "bpffs"
    root.mkdir()
    subprocess.run(["mount", "-t", "bpf", "bpf", str(root)], check=True)
    yield str(root / "pins")
    remove_pins(str(root / "pins"))
    subprocess.run(["umount", str(root)], check=True)


def _map_id(path: str) -> int:
    out = subprocess.run(["bpftool", "-j", "map", "show", "pinned", path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["id"]


def _map_exists(map_id: int) -> bool:
    return subprocess.run(["bpftool", "map", "show", "id", str(map_id)],
                          capture_output=True).returncode == 0


def test_pin_names_have_no_dots():
    assert pin_name("ebpfpy.bss") == "ebpfpy_bss" and pin_name("clock") == "clock"


def test_a_pinned_timer_runs_on_after_close_and_stops_when_unpinned(pin_dir: str):
    with ebpfpy.load(str(TIMER), pin_dir=pin_dir) as obj:
        obj.programs.start.test_run()
    assert "clock" in pinned(pin_dir)
    # a new process would do the same: load again, reusing the pinned map, and read it
    code = ("import ebpfpy, sys, time\n"
            "with ebpfpy.load(sys.argv[1], pin_dir=sys.argv[2]) as obj:\n"
            "    a = obj.maps.clock[0].ticks; time.sleep(0.2); b = obj.maps.clock[0].ticks\n"
            "print(a, b)\n")
    r = subprocess.run([sys.executable, "-c", code, str(TIMER), pin_dir],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    a, b = map(int, r.stdout.split())
    assert 0 < a < b, r.stdout                    # running before, and still running
    map_id = _map_id(os.path.join(pin_dir, "clock"))
    names = pinned(pin_dir)
    assert remove_pins(pin_dir) == names and "clock" in names
    assert not os.path.exists(pin_dir)
    deadline = time.monotonic() + 10              # freeing is deferred (RCU, workqueues)
    while _map_exists(map_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _map_exists(map_id), "the timer still holds the map after its pins were removed"
