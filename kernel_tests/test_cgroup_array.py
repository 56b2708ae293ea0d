"""CgroupArray on a real kernel: a slot filled from a cgroup v2 path, and
``helpers.current_task_under_cgroup`` telling a process moved into a test cgroup (and into a
child of it) from this one; the simulator's model agrees on the same cases."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.loader.programs import _cgroup2_root
from ebpfpy.testing import Simulator

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, CgroupArray, PerfEventArray, u32, i64, helpers

    @struct
    class Ev:
        pid: u32
        under: i64
        bad: i64

    cg = CgroupArray(2)
    events = PerfEventArray(event=Ev)

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        events.output(ctx, Ev(pid=u32(helpers.get_current_pid_tgid() >> 32),
                              under=helpers.current_task_under_cgroup(cg, 0),
                              bad=helpers.current_task_under_cgroup(cg, 5)))
        return 0
''')
# the child marks its own call: getppid after reading one byte, then it exits
CHILD = "import os, sys; sys.stdin.read(1); os.getppid()"


@pytest.fixture()
def cgroup():
    root = _cgroup2_root()
    path = Path(root) / f"ebpfpy_perfbuf_{os.getpid()}"
    path.mkdir()
    (path / "sub").mkdir()
    try:
        yield path
    finally:
        for d in (path / "sub", path):
            for _ in range(50):                  # a just-exited child may linger a moment
                try:
                    d.rmdir()
                    break
                except OSError:
                    subprocess.run(["sleep", "0.05"])


def _last_event_of_child(obj, into: Path | None) -> tuple[int, list]:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE)
    if into is not None:
        (into / "cgroup.procs").write_text(str(child.pid))
    os.getppid()
    child.communicate(b"x", timeout=30)
    evs = list(obj.maps.events.poll(timeout=0.3))
    return child.pid, evs


def test_tasks_in_the_cgroup_and_below_it_are_under_it(tmp_path: Path, cgroup: Path) -> None:
    mod = tmp_path / "cg_mod.py"
    mod.write_text(SOURCE)
    with ebpfpy.load(str(mod)) as obj, obj.programs.on_getppid.attach():
        pid, evs = _last_event_of_child(obj, cgroup)
        mine = [e for e in evs if e.pid == os.getpid()]
        assert mine and {(e.under, e.bad) for e in mine} == {(-11, -7)}   # empty slot: -EAGAIN

        obj.maps.cg[0] = str(cgroup)
        for into, expect in ((cgroup, 1), (cgroup / "sub", 1), (None, 0)):
            pid, evs = _last_event_of_child(obj, into)
            child = [e.under for e in evs if e.pid == pid]
            assert child[-1] == expect, (into, child)
            assert {e.under for e in evs if e.pid == os.getpid()} == {0}

        del obj.maps.cg[0]
        _pid, evs = _last_event_of_child(obj, None)
        assert {e.under for e in evs if e.pid == os.getpid()} == {-11}

        with pytest.raises(OSError, match="cannot open cgroup"):
            obj.maps.cg[1] = str(cgroup / "missing")
        with pytest.raises(KeyError):
            obj.maps.cg[2] = str(cgroup)
        with pytest.raises(TypeError):
            obj.maps.cg[0]

    sim = Simulator(str(mod))
    assert sim.run("on_getppid").events["events"][0].under == -11
    sim.maps.cg[0] = str(cgroup)
    assert sim.run("on_getppid").events["events"][0].under == 0
    sim.env.cgroup = str(cgroup / "sub")
    assert sim.run("on_getppid").events["events"][0].under == 1
    assert sim.run("on_getppid").events["events"][0].bad == -7
