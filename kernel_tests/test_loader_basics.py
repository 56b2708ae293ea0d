"""The loader on a real kernel: test_run, maps, globals, ring buffers, struct classes, close().

Programs are built with ``ebpfpy.compile(source=...)``; these tests skip only while the
compiler's pipeline module does not exist yet.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

import ebpfpy
from ebpfpy.api import CompiledModule, compile_full
from ebpfpy import libbpf as L
from ebpfpy.loader.object import BpfObject

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ebpfpy.pipeline") is None,
                                reason="ebpfpy.pipeline (the compiler) is not there yet")


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)

SOURCE = textwrap.dedent('''
    from ebpfpy import (bpf_program, struct, Array, HashMap, PerCpuArray, RingBuf, helpers,
                        u8, u32, u64)

    @struct
    class Args:
        n: u32
        out: u32
        cell: u32
        pad: u32
        sum: u64

    @struct
    class Point:
        x: u32
        y: u32

    @struct
    class Event:
        pid: u32
        n: u32

    counts = Array(u64, 8)
    points = HashMap(u32, Point, 64)
    percpu = PerCpuArray(u64, 4)
    events = RingBuf(4096, event=Event)
    grid = Array(u8[4][3], 2, mmapable=True)
    total: u64 = 0
    seed: u32 = 7

    @bpf_program("syscall")
    def run(ctx: Args) -> int:
        global total
        ctx.out = ctx.n * 2
        total += ctx.n
        counts[1] += 1
        percpu[0] += 1
        points[ctx.n] = Point(x=ctx.n, y=ctx.n + 1)
        events.output(Event(pid=u32(helpers.get_current_pid_tgid() >> 32), n=ctx.n))
        g = grid[0]
        ctx.cell = u32(g[1][2])
        ctx.sum = u64(seed)
        return 42
''')


@pytest.fixture(scope="module")
def compiled() -> CompiledModule:
    return compile_full(source=SOURCE, filename="basics.py")


@pytest.fixture(scope="module")
def elf(compiled: CompiledModule) -> bytes:
    return compiled.elf


@pytest.fixture
def obj(compiled: CompiledModule):
    """Loaded with the compiler's metadata, as ``ebpfpy.load(path)`` does."""
    with BpfObject(compiled.elf, compiled=compiled) as o:
        yield o


def wait_gone(ids, before: set[int]) -> set[int]:
    """IDs still listed beyond ``before`` after up to 2 s (the kernel frees them via RCU)."""
    for _ in range(40):
        left = ids() - before
        if not left:
            break
        time.sleep(0.05)
    return left


def no_btf_warning(o: BpfObject) -> None:
    bad = [m for m in o.messages if "BTF is optional" in m]
    assert not bad, "libbpf dropped the object's BTF: " + "".join(bad)


def test_libbpf_keeps_the_btf(obj: BpfObject) -> None:
    no_btf_warning(obj)
    assert not any("BTF is optional" in m for _, m in L.MESSAGES)


def test_syscall_test_run_writes_ctx_back(obj: BpfObject) -> None:
    Args = obj.structs.Args
    r = obj.programs.run.test_run(ctx=Args(n=5))
    assert r.retval == 42
    assert r.duration_ns is None and r.data is None
    out = Args.from_bytes(r.ctx)
    assert (out.n, out.out, out.sum) == (5, 10, 7)
    assert obj.programs["run"].section == "syscall"
    r2 = obj.programs.run.test_run(ctx=bytes(Args(n=1)))
    assert Args.from_bytes(r2.ctx).out == 2


def test_syscall_repeat_is_refused(obj: BpfObject) -> None:
    with pytest.raises(ValueError):
        obj.programs.run.test_run(ctx=obj.structs.Args(n=1), repeat=2)


def test_maps_follow_dict(obj: BpfObject) -> None:
    Args, Point = obj.structs.Args, obj.structs.Point
    for n in (3, 4):
        obj.programs.run.test_run(ctx=Args(n=n))
    counts, points = obj.maps.counts, obj.maps["points"]
    assert counts[1] == 2 and len(counts) == 8 and 7 in counts and 8 not in counts
    with pytest.raises(KeyError):
        counts[8]
    counts[2] = 99
    assert counts.get(2) == 99 and dict(counts.items())[2] == 99
    assert points[3] == Point(x=3, y=4) and sorted(points.keys()) == [3, 4]
    assert len(points) == 2 and 4 in points and 5 not in points
    assert points.get(5, "none") == "none"
    with pytest.raises(KeyError):
        points[5]
    points[9] = Point(x=1, y=2)
    del points[3]
    with pytest.raises(KeyError):
        del points[3]
    assert sorted(points) == [4, 9]
    assert Point(x=1, y=2) in points.values()


def test_per_cpu_values(obj: BpfObject) -> None:
    obj.programs.run.test_run(ctx=obj.structs.Args(n=1))
    pc = obj.maps.percpu
    vals = pc[0]
    assert len(vals) == L.possible_cpus() and sum(vals) == 1
    pc[3] = 5
    assert pc[3] == [5] * L.possible_cpus()


def test_globals(obj: BpfObject) -> None:
    assert obj.globals.total == 0 and obj.globals.seed == 7
    obj.globals.total = 100
    obj.programs.run.test_run(ctx=obj.structs.Args(n=5))
    assert obj.globals.total == 105
    obj.globals.seed = 11
    assert obj.structs.Args.from_bytes(
        obj.programs.run.test_run(ctx=obj.structs.Args(n=0)).ctx).sum == 11


def test_ring_buffer_decodes_events(obj: BpfObject) -> None:
    for n in (1, 2):
        obj.programs.run.test_run(ctx=obj.structs.Args(n=n))
    got = list(obj.maps.events.poll(timeout=0.2))
    Event = obj.structs.Event
    assert got == [Event(pid=os.getpid(), n=1), Event(pid=os.getpid(), n=2)]
    obj.programs.run.test_run(ctx=obj.structs.Args(n=3))
    seen: list = []
    assert obj.maps.events.poll(timeout=0.1, callback=seen.append) == 1
    assert seen[0].n == 3


def test_mmapable_view_is_zero_copy(obj: BpfObject) -> None:
    v = obj.maps.grid.view()
    assert v.shape == (2, 4, 3)
    v[0, 1, 2] = 200
    assert obj.maps.grid[0][1][2] == 200
    r = obj.programs.run.test_run(ctx=obj.structs.Args(n=0))
    assert obj.structs.Args.from_bytes(r.ctx).cell == 200
    obj.maps.grid[1] = [[1, 2, 3]] * 4
    assert v[1].tolist() == [[1, 2, 3]] * 4


def test_load_from_a_module_uses_its_classes(tmp_path, monkeypatch) -> None:
    path = tmp_path / "basics_mod.py"
    path.write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import basics_mod  # type: ignore[import-not-found]
    try:
        with ebpfpy.load(basics_mod) as o:
            r = o.programs.run.test_run(ctx=basics_mod.Args(n=2))
            assert basics_mod.Args.from_bytes(r.ctx).out == 4
            assert type(o.maps.points[2]) is basics_mod.Point
            ev = next(iter(o.maps.events.poll(timeout=0.2)))
            assert isinstance(ev, basics_mod.Event)
    finally:
        sys.modules.pop("basics_mod", None)


def test_load_elf_bytes_types_from_btf(elf: bytes) -> None:
    """Without the compiler's metadata, structs, map types and globals come from BTF."""
    with ebpfpy.load(elf) as o:
        Args, Point = o.structs.Args, o.structs.Point
        assert [f.name for f in Args.__bpf_type__.fields] == ["n", "out", "cell", "pad", "sum"]
        o.programs.run.test_run(ctx=Args(n=6))
        assert o.maps.points[6] == Point(x=6, y=7)
        assert o.globals.total == 6
        assert o.globals.types()["seed"] is ebpfpy.u32
        ev = next(iter(o.maps.events.poll(timeout=0.2)))
        # the record type travels in the object's BTF (the compiler's __ebpfpy_types_N)
        assert type(ev).__name__ == "Event" and ev.n == 6 and bytes(ev) and len(bytes(ev)) == 8
        assert "events" in o.maps and "total" not in o.maps  # internal maps are hidden


def _bpftool_ids(what: str) -> set[int]:
    out = subprocess.run(["bpftool", "-j", what, "show"], capture_output=True, text=True)
    return {e["id"] for e in json.loads(out.stdout or "[]")}


def test_close_releases_everything(elf: bytes) -> None:
    fds = set(os.listdir("/proc/self/fd"))
    progs, maps = _bpftool_ids("prog"), _bpftool_ids("map")
    o = ebpfpy.load(elf)
    o.programs.run.test_run(ctx=o.structs.Args(n=1))
    list(o.maps.events.poll(timeout=0.05))
    view = o.maps.grid.view()
    assert _bpftool_ids("prog") - progs
    # this object's own ids: other processes may load and unload programs meanwhile
    mine_p = {p.id for p in o.programs.values()}
    mine_m = {m.id for m in o.maps.values()}
    assert o.maps.events.id in mine_m and o.maps.events.id in _bpftool_ids("map")   # the ring buffer too
    o.close()
    o.close()                                  # idempotent
    del view
    assert set(os.listdir("/proc/self/fd")) - fds == set()
    assert wait_gone(lambda: _bpftool_ids("prog") & mine_p, set()) == set()
    assert wait_gone(lambda: _bpftool_ids("map") & mine_m, set()) == set()
    with pytest.raises(ValueError):
        o.maps.counts[0]
    with pytest.raises(ValueError):
        o.programs.run.test_run(ctx=b"\0" * 24)


def test_garbage_collection_closes(elf: bytes) -> None:
    import gc
    progs = _bpftool_ids("prog")
    o = ebpfpy.load(elf)
    assert _bpftool_ids("prog") - progs
    mine = {p.id for p in o.programs.values()}
    del o
    gc.collect()
    assert wait_gone(lambda: _bpftool_ids("prog") & mine, set()) == set()


def test_hash_map_matches_a_dict_model(obj: BpfObject) -> None:
    """Random inserts, replaces and deletes: the map and a dict stay equal."""
    from hypothesis import given, settings, strategies as st
    Point = obj.structs.Point
    points = obj.maps.points
    ops = st.lists(st.tuples(st.booleans(), st.integers(0, 20), st.integers(0, 2**32 - 1)),
                   max_size=40)

    @settings(max_examples=40, deadline=None)
    @given(ops)
    def check(seq: list[tuple[bool, int, int]]) -> None:
        points.clear()
        model: dict[int, object] = {}
        for put, k, x in seq:
            if put:
                points[k] = model[k] = Point(x=x, y=k)
            elif k in model:
                del points[k]
                del model[k]
            else:
                with pytest.raises(KeyError):
                    del points[k]
        assert dict(points.items()) == model and len(points) == len(model)

    check()
