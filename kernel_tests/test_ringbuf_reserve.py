"""Ring-buffer reservations in the kernel: ``rec = events.reserve()``, fields written in
place, ``events.submit(rec)`` / ``events.discard(rec)``.

Every shape the checker accepts (early return, if/else, a reserve per loop iteration,
wakeup flags) loads and runs; userspace ``poll`` decodes the submitted records, a discarded
record never arrives, and the CPython simulator agrees record for record.  A tracepoint
program reserves and submits on a real syscall.
"""
from __future__ import annotations

import os
import textwrap
import time

import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.testing import Simulator

SOURCE = textwrap.dedent('''
    from ebpfpy import (bpf_program, struct, RingBuf, RB_NO_WAKEUP, RB_FORCE_WAKEUP,
                        u8, u32, u64)

    @struct
    class Args:
        n: u32
        drop: u32
        tag: u64

    @struct
    class Event:
        seq: u32
        flag: u8
        tag: u64

    events = RingBuf(1 << 14, event=Event)

    @bpf_program("syscall")
    def one(ctx: Args) -> int:
        rec = events.reserve()
        if rec is None:
            return 1
        rec.tag = ctx.tag
        if ctx.drop != 0:
            events.discard(rec)
            return 2
        rec.seq = ctx.n
        events.submit(rec)
        return 0

    @bpf_program("syscall")
    def many(ctx: Args) -> int:
        sent: u32 = 0
        for i in range(16):
            if i >= ctx.n:
                break
            rec = events.reserve()
            if rec is None:
                break
            rec.seq = u32(i)
            rec.tag = ctx.tag
            if u32(i) % 3 == ctx.drop:
                events.discard(rec, RB_NO_WAKEUP)
                continue
            rec.flag = 1
            events.submit(rec, RB_FORCE_WAKEUP)
            sent += 1
        return sent

    @bpf_program("syscall")
    def branches(ctx: Args) -> int:
        rec = events.reserve()
        if not rec:
            return 1
        if ctx.tag > 100:
            rec.flag = 2
            events.submit(rec)
        else:
            events.discard(rec)
        return 0
''')

CASES = [("one", dict(n=5, drop=0, tag=77)), ("one", dict(n=6, drop=1, tag=78)),
         ("many", dict(n=7, drop=1, tag=9)), ("many", dict(n=40, drop=5, tag=3)),
         ("many", dict(n=0, drop=0, tag=1)), ("branches", dict(n=0, drop=0, tag=101)),
         ("branches", dict(n=0, drop=0, tag=100))]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> str:
    p = tmp_path_factory.mktemp("rbuf") / "reserve_submit.py"
    p.write_text(SOURCE)
    return str(p)


def test_kernel_matches_simulator(path: str) -> None:
    """Same return values and the same records (submitted ones only) in the same order."""
    sim = Simulator(path)
    with ebpfpy.load(path) as obj:
        Args = obj.structs.Args
        for prog, args in CASES:
            before = len(sim.events("events"))
            r = getattr(obj.programs, prog).test_run(ctx=Args(**args))
            got = list(obj.maps.events.poll(timeout=0.05))
            s = sim.run(prog, ctx=Args(**args))
            want = sim.events("events")[before:]
            assert r.retval == s.retval, (prog, args)
            assert [bytes(e) for e in got] == [bytes(e) for e in want], (prog, args)


def test_discard_sends_nothing(path: str) -> None:
    with ebpfpy.load(path) as obj:
        r = obj.programs.one.test_run(ctx=obj.structs.Args(n=1, drop=1, tag=5))
        assert r.retval == 2
        assert list(obj.maps.events.poll(timeout=0.05)) == []
        r = obj.programs.one.test_run(ctx=obj.structs.Args(n=1, drop=0, tag=5))
        assert r.retval == 0
        [ev] = list(obj.maps.events.poll(timeout=0.05))
        assert (ev.seq, ev.flag, ev.tag) == (1, 0, 5)     # flag never written: zeroed


TRACEPOINT = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, RingBuf, helpers, u8, u32, u64

    @struct
    class Exec:
        pid: u32
        comm: u8[16]
        ts: u64

    me: u32 = 0
    calls = RingBuf(1 << 12, event=Exec)

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        pid = u32(helpers.get_current_pid_tgid() >> 32)
        if pid != me:
            return 0
        rec = calls.reserve()
        if rec is None:
            return 0
        rec.pid = pid
        rec.comm = helpers.get_current_comm()
        rec.ts = helpers.ktime_get_ns()
        calls.submit(rec)
        return 0
''')


def test_tracepoint_reserve_submit(tmp_path) -> None:
    p = tmp_path / "getppid_events.py"
    p.write_text(TRACEPOINT)
    with ebpfpy.load(str(p)) as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_getppid.attach():
            for _ in range(3):
                os.getppid()
            time.sleep(0.01)
            got = list(obj.maps.calls.poll(timeout=0.5))
    assert len(got) == 3
    assert all(e.pid == os.getpid() and e.ts > 0 for e in got)
    comm = open(f"/proc/{os.getpid()}/comm", "rb").read().strip()[:15]
    assert bytes(got[0].comm).rstrip(b"\0") == comm


FLOOD = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, RingBuf, u32

    @struct
    class Tick:
        n: u32

    ticks = RingBuf(4096, event=Tick)

    @bpf_program("syscall")
    def flood(ctx) -> int:
        sent: u32 = 0
        for i in range(100000):
            rec = ticks.reserve()
            if rec is None:
                break
            rec.n = u32(i)
            ticks.submit(rec)
            sent += 1
        return sent
''')


def test_reserve_in_outlined_loop_until_full(tmp_path) -> None:
    """A loop too long to walk becomes a bpf_loop callback that reserves and submits in each
    iteration; reserve() gives None once the 4096-byte ring is full (16 bytes a record)."""
    p = tmp_path / "flood.py"
    p.write_text(FLOOD)
    assert "bpf_loop callback" in compile_full(str(p)).report.rows[0].split
    with ebpfpy.load(str(p)) as obj:
        r = obj.programs.flood.test_run()
        got = list(obj.maps.ticks.poll(timeout=0.1))
    assert r.retval == len(got) == 255
    assert [e.n for e in got] == list(range(255))


BIG = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, RingBuf, u8, u32, u64

    @struct
    class Args:
        fill: u32

    @struct
    class Big:
        tag: u32
        data: {elem}[{n}]

    events = RingBuf({ring}, event=Big)

    @bpf_program("syscall")
    def big(ctx: Args) -> int:
        rec = events.reserve()          # zeroed in place: no memset call
        if rec is None:
            return 1
        rec.tag = ctx.fill
        if ctx.fill != 0:
            for i in range({n}):       # a zeroing/filling loop stays a loop
                rec.data[i] = 7
        events.submit(rec)
        return 0
''')


@pytest.mark.parametrize("elem,n,ring", [("u8", 5000, "1 << 14"), ("u64", 16384, "1 << 18")],
                         ids=["5KB", "128KB"])
def test_big_record_zeroed_and_filled_by_a_loop(tmp_path, elem: str, n: int, ring: str) -> None:
    """A 5 KB record (its zeroing and a 5000-step store loop were LLVM memset calls, E998)
    loads; after the ring wraps, a reserved record carries none of the old bytes.  A 128 KB
    one is zeroed by a loop of 1 KB chunks (as one store, LLVM's instruction selection
    aborted the process past 65,535 elements and took 30 s at 8,192)."""
    path = tmp_path / "big.py"
    path.write_text(BIG.format(elem=elem, n=n, ring=ring))
    with ebpfpy.load(str(path)) as obj:
        got = []
        for fill in (1, 1, 1, 1, 0, 0, 0, 0):           # a 16 KB ring holds three records
            r = obj.programs.big.test_run(ctx=fill.to_bytes(4, "little"))
            assert r.retval == 0
            got += list(obj.maps.events.poll(timeout=0.5))
    assert [e.tag for e in got] == [1, 1, 1, 1, 0, 0, 0, 0]
    assert all(list(e.data) == [7] * n for e in got[:4])
    assert all(list(e.data) == [0] * n for e in got[4:])
