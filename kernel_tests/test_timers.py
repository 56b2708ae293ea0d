"""Timers: programs that never end, stopped by ``cancel`` or by closing the object.

A timer callback that re-arms itself with ``start(0)`` runs until it is cancelled, or until the
last user reference to its map goes away: closing the object must stop it and free every
kernel object the load created (programs, maps, the timer's hold on its callback program).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

import ebpfpy

TICKER = '''
from ebpfpy import bpf_program, bpf_function, struct, Array, Timer, u32, u64

@struct
class State:
    timer: Timer
    ticks: u64
    period_ns: u64

state = Array(State, 1)

@bpf_function
def tick(m, key: u32, value: State) -> int:
    value.ticks += 1
    value.timer.start(value.period_ns)
    return 0

@bpf_program("syscall")
def start(ctx) -> int:
    t = state.lookup(0)
    if t is None:
        return 1
    t.timer.init(state)
    t.timer.set_callback(tick)
    t.timer.start(0)
    return 0

@bpf_program("syscall")
def stop(ctx) -> int:
    t = state.lookup(0)
    if t is None:
        return 1
    t.timer.cancel()
    return 0
'''

TRACING_TIMER = '''
from ebpfpy import bpf_program, struct, Array, Timer, u64

@struct
class State:
    timer: Timer
    ticks: u64

state = Array(State, 1)

@bpf_program("tracepoint/syscalls/sys_enter_openat")
def on_open(ctx) -> int:
    t = state.lookup(0)
    if t is None:
        return 0
    t.timer.init(state)
    return 0
'''


def load_ticker():
    """The ticker loaded from ELF bytes (struct classes come from the object's BTF)."""
    return ebpfpy.load(ebpfpy.compile(source=TICKER, filename="ticker.py"))


def ticks(obj) -> int:
    return obj.maps.state[0].ticks


def wait_for(pred, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_self_rearming_counter_keeps_increasing():
    with load_ticker() as obj:
        assert obj.programs.start.test_run().retval == 0
        seen = [ticks(obj)]
        for _ in range(4):
            time.sleep(0.1)
            seen.append(ticks(obj))
        assert all(b > a for a, b in zip(seen, seen[1:])), seen
        # ~60k callbacks/s on the reference machine; 1,000/s is a generous floor
        assert seen[-1] - seen[0] > 400, seen
        obj.programs.stop.test_run()


def test_cancel_stops_the_counter():
    with load_ticker() as obj:
        obj.programs.start.test_run()
        assert wait_for(lambda: ticks(obj) > 100)
        assert obj.programs.stop.test_run().retval == 0
        stopped = ticks(obj)
        time.sleep(0.2)
        assert ticks(obj) == stopped


def test_period_paces_the_callbacks():
    with load_ticker() as obj:
        obj.maps.state[0] = obj.structs.State(period_ns=10_000_000)   # before the timer exists
        obj.programs.start.test_run()
        time.sleep(0.5)
        n = ticks(obj)
        obj.programs.stop.test_run()
        assert 20 <= n <= 70, n          # 10 ms period: about 50 in half a second


def _bpftool_ids(kind: str) -> set[int]:
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True,
                         check=True).stdout
    return {item["id"] for item in json.loads(out or "[]")}


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool not installed")
def test_close_stops_everything_and_leaves_nothing_behind():
    elf = ebpfpy.compile(source=TICKER, filename="ticker.py")
    progs0, maps0, fds0 = _bpftool_ids("prog"), _bpftool_ids("map"), _fds()
    obj = ebpfpy.load(elf)
    obj.programs.start.test_run()
    assert wait_for(lambda: ticks(obj) > 100)
    new_progs = _bpftool_ids("prog") - progs0
    new_maps = _bpftool_ids("map") - maps0
    assert new_progs and new_maps
    obj.close()
    # The kernel frees programs and maps after an RCU grace period: poll a little.
    assert wait_for(lambda: not (_bpftool_ids("prog") & new_progs)), \
        f"programs left behind: {_bpftool_ids('prog') & new_progs}"
    assert wait_for(lambda: not (_bpftool_ids("map") & new_maps)), \
        f"maps left behind: {_bpftool_ids('map') & new_maps}"
    assert _fds() <= fds0, f"file descriptors left open: {_fds() - fds0}"


def test_timer_in_a_tracing_program_is_E170():
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=TRACING_TIMER, filename="tracing_timer.py")
    err = ei.value
    assert err.code == "E170"
    assert (err.lineno, err.col_offset) == (16, 4)
    assert "tracepoint" in err.message
