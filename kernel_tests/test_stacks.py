"""Stack traces on a real kernel: ``stacks.get_stackid``, ``helpers.get_stack`` and
``get_task_stack`` from a tracepoint and from a ``perf_event`` (software clock) program, and
:mod:`ebpfpy.symbols` naming the functions of the kernel's syscall path and of a gcc-built
test binary (a PIE built with -O0 and frame pointers, so every frame links to its caller),
as ``profile`` and ``offcputime`` print them."""
from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.symbols import KERNEL_START, KernelSymbols, UserSymbols, symbolize

TOOLS = Path(__file__).resolve().parent.parent / "examples" / "tools"
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the test binary")

PROGRAM_C = r"""
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) int inner_fn(int n) { return getppid() + n; }
__attribute__((noinline)) int outer_fn(int n) {
    int r = inner_fn(n);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}
__attribute__((noinline)) void spin_here(volatile long *n) {
    for (long i = 0; i < 150000000L; i++) (*n)++;
}
int main(void) {
    char c;
    volatile long n = 0;
    if (read(0, &c, 1) != 1) return 1;
    outer_fn(1);
    printf("ready\n"); fflush(stdout);
    if (read(0, &c, 1) != 1) return 1;
    spin_here(&n);
    printf("spun\n"); fflush(stdout);
    return read(0, &c, 1) < 0;
}
"""

TRACE = '''
from ebpfpy import (bpf_program, struct, StackTraceMap, PerfEventArray, HashMap, u32, u64, i64,
                    helpers, BPF_F_USER_STACK)
from ebpfpy.kernel import task_struct  # noqa: F401

@struct
class Ev:
    pid: u32
    kstack: i64
    ustack: i64
    nbytes: i64
    tbytes: i64
    frames: u64[16]
    task_frames: u64[16]

@struct
class Key:
    pid: u32
    ustack: i64
    kstack: i64

stacks = StackTraceMap(1024, depth=32)
events = PerfEventArray(event=Ev)
samples = HashMap(Key, u64, max_entries=1024)
target: u32 = 0

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx) -> int:
    e = Ev(pid=u32(helpers.get_current_pid_tgid() >> 32))
    if e.pid != target:
        return 0
    e.kstack = stacks.get_stackid(ctx, 0)
    e.ustack = stacks.get_stackid(ctx, BPF_F_USER_STACK)
    e.nbytes = helpers.get_stack(ctx, e.frames, 0)
    e.tbytes = helpers.get_task_stack(helpers.get_current_task_btf(), e.task_frames, 0)
    events.output(ctx, e)
    return 0

@bpf_program("perf_event")
def on_sample(ctx) -> int:
    k = Key(pid=u32(helpers.get_current_pid_tgid() >> 32))
    k.ustack = stacks.get_stackid(ctx, BPF_F_USER_STACK)
    k.kstack = stacks.get_stackid(ctx, 0)
    samples[k] += 1
    return 0
'''


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("stacks")
    (d / "stk.c").write_text(PROGRAM_C)
    out = d / "stk"
    subprocess.run(["gcc", "-O0", "-fPIE", "-pie", "-fno-omit-frame-pointer", "-o", str(out),
                    str(d / "stk.c")], check=True)
    return out


@pytest.fixture()
def obj(tmp_path: Path):
    p = tmp_path / "stack_mod.py"
    p.write_text(TRACE)
    with ebpfpy.load(str(p)) as o:
        yield o


def test_tracepoint_stacks_name_the_syscall_path_and_the_callers(obj, binary: Path) -> None:
    child = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        obj.globals.target = child.pid
        with obj.programs.on_getppid.attach():
            child.stdin.write(b"x")
            child.stdin.flush()
            child.stdout.readline()
            user = UserSymbols(child.pid)             # while it lives
            (ev,) = [e for e in obj.maps.events.poll(timeout=0.3) if e.pid == child.pid]
    finally:
        child.communicate(b"xx", timeout=30)
    ksyms = KernelSymbols()
    kernel = obj.maps.stacks[ev.kstack]
    assert all(a >= KERNEL_START for a in kernel)
    knames = [s.split("+")[0] for s in symbolize(kernel, kernel=ksyms)]
    assert "do_syscall_64" in knames, knames
    ustack = obj.maps.stacks[ev.ustack]
    unames = symbolize(ustack, user=user)
    names = [s.split("+")[0] for s in unames]
    # inner_fn's return address is in getppid's frame, which has no frame pointer
    assert names[:3] == ["getppid", "outer_fn", "main"], unames
    assert unames[1].endswith("[stk]") and unames[0].endswith("[libc.so.6]")
    # get_stack copies the same kernel frames; get_task_stack reads the task's own stack
    n = ev.nbytes // 8
    assert n >= 1 and ev.frames[:n] == kernel[:n] and not any(ev.frames[n:])
    t = ev.tbytes // 8
    assert t >= 1 and all(ksyms.resolve(a) is not None for a in ev.task_frames[:t])


class _PerfEventAttr(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32), ("config", ctypes.c_uint64),
                ("sample_period", ctypes.c_uint64), ("sample_type", ctypes.c_uint64),
                ("read_format", ctypes.c_uint64), ("flags", ctypes.c_uint64),
                ("_rest", ctypes.c_uint8 * 96)]


def test_profile_samples_land_in_the_spinning_function(obj, binary: Path) -> None:
    """A software cpu-clock perf event on the child: its user stacks name spin_here."""
    libc = ctypes.CDLL(None, use_errno=True)
    child = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdin.write(b"x")
        child.stdin.flush()
        child.stdout.readline()
        attr = _PerfEventAttr(type=1, config=0, sample_period=1_000_000)   # cpu-clock, 1 ms
        attr.size = ctypes.sizeof(attr)
        nr = 298 if platform.machine() == "x86_64" else 241
        pfd = libc.syscall(nr, ctypes.byref(attr), child.pid, -1, -1, 8)
        if pfd < 0:
            pytest.skip(f"perf_event_open: {os.strerror(ctypes.get_errno())}")
        with obj.programs.on_sample.attach(pfd=pfd):        # the link owns pfd from here
            child.stdin.write(b"x")
            child.stdin.flush()
            assert child.stdout.readline() == b"spun\n"
            user = UserSymbols(child.pid)
    finally:
        child.communicate(b"x", timeout=30)
    mine = [(k, n) for k, n in obj.maps.samples.items() if k.pid == child.pid]
    assert sum(n for _, n in mine) >= 20, mine
    top: dict[str, int] = {}
    for k, n in mine:
        if k.ustack >= 0:
            frames = symbolize(obj.maps.stacks[k.ustack], user=user)
            top[frames[0].split("+")[0]] = top.get(frames[0].split("+")[0], 0) + n
    assert max(top, key=top.get) == "spin_here", top
    spin = [symbolize(obj.maps.stacks[k.ustack], user=user) for k, _ in mine if k.ustack >= 0]
    assert any([s.split("+")[0] for s in f[:2]] == ["spin_here", "main"] for f in spin), spin


def test_the_profile_tool_folds_the_spinning_stack(binary: Path) -> None:
    """examples/tools/profile.py, sampling every CPU at 99 Hz while the binary spins."""
    sys.path.insert(0, str(TOOLS))
    try:
        import profile as tool                   # the example, not the stdlib module
    finally:
        sys.path.remove(str(TOOLS))
    assert tool.__file__.startswith(str(TOOLS))
    child = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdin.write(b"x")
        child.stdin.flush()
        child.stdout.readline()
        with ebpfpy.load(tool.__file__) as obj:
            obj.globals.target_pid = child.pid
            with tool.sampling(obj, hz=999):
                child.stdin.write(b"x")
                child.stdin.flush()
                assert child.stdout.readline() == b"spun\n"
            lines = tool.folded(obj, {child.pid: UserSymbols(child.pid)})
    finally:
        child.communicate(b"x", timeout=30)
    line, n = lines[0]
    assert line.startswith("stk;") and line.endswith(";main;spin_here"), lines[:3]
    assert n >= 20


def test_the_offcputime_tool_times_the_blocked_read(binary: Path) -> None:
    """examples/tools/offcputime.py: the binary blocks in read() from main for 0.3 s."""
    sys.path.insert(0, str(TOOLS))
    try:
        import offcputime as tool
    finally:
        sys.path.remove(str(TOOLS))
    with ebpfpy.load(tool.__file__) as obj, obj.programs.on_switch.attach():
        # started once attached, so its first switch out (blocking in read) is seen
        child = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            obj.globals.target_pid = child.pid
            time.sleep(0.3)
            user = UserSymbols(child.pid)
            child.stdin.write(b"x")
            child.stdin.flush()
            assert child.stdout.readline() == b"ready\n"
        finally:
            child.communicate(b"xx", timeout=30)
        lines = tool.folded(obj, {child.pid: user})
    # the child's own lines (others ran before the filter was set), the read()s among them
    reads = [(ln.split(";"), us) for ln, us in lines if ln.startswith("stk;")
             and any(f in ("read", "__read", "__libc_read") for f in ln.split(";"))]
    assert reads, lines[:5]
    frames, us = reads[0]
    assert "schedule" in frames and "ksys_read" in frames, frames
    # folded outermost first: the user read() frame, then the kernel's path down to schedule
    user_read = next(i for i, f in enumerate(frames) if f in ("read", "__read", "__libc_read"))
    assert user_read < frames.index("ksys_read") < frames.index("schedule"), frames
    assert 250_000 <= us < 5_000_000, reads[:3]
