"""Userspace never crashes the interpreter nor wraps a value (LANGUAGE.md §7).

NumPy views outlive their object; every key, value, struct field and global set from Python is
range- and type-checked with a message naming the map, the field and the range, and nothing is
stored on error; ring buffers hand each record to exactly one of several polling threads;
``repr`` works on closed objects.  Operations that used to segfault run in a forked child, so a
crash fails one test instead of killing pytest.
"""
from __future__ import annotations

import gc
import os
import threading
import textwrap

import pytest

from ebpfpy.api import CompiledModule, compile_full
from ebpfpy.loader.object import BpfObject

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, HashMap, PerCpuArray, RingBuf, i8, u8, u32, u64

    @struct
    class Pos:
        x: u8
        y: i8

    @struct
    class Item:
        id: u32
        pos: Pos
        tag: u8[4]
        ok: bool

    grid = Array(u8[4], 2, mmapable=True)
    counts = HashMap(u32, u64, 16)
    names = HashMap(u32, u8[32], 16)
    stock = HashMap(u32, Item, 16)
    arr = Array(u32, 4)
    pc = PerCpuArray(u8, 2)
    events = RingBuf(1 << 16, event=Pos)
    small: u8 = 0
    delta: i8 = 0

    @bpf_program("syscall")
    def emit(ctx: Item) -> int:
        events.output(Pos(x=u8(ctx.id), y=0))
        return 0
''')


@pytest.fixture(scope="module")
def compiled() -> CompiledModule:
    return compile_full(source=SOURCE, filename="safety.py")


@pytest.fixture
def obj(compiled: CompiledModule):
    with BpfObject(compiled.elf, compiled=compiled) as o:
        yield o


def in_child(fn) -> int:
    """Run ``fn`` in a forked child; its exit status (a signal shows as 128 + signo)."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except BaseException:      # noqa: BLE001 - report as a plain failure
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def test_view_survives_close(compiled: CompiledModule) -> None:
    def use_after_close() -> None:
        o = BpfObject(compiled.elf, compiled=compiled)
        o.maps.grid[1] = [1, 2, 3, 4]
        v = o.maps.grid.view()
        o.close()
        assert repr(o) == "<BpfObject 'ebpfpy' closed>"
        v[0, 0] = 9
        assert v[1].tolist() == [1, 2, 3, 4] and v[0, 0] == 9
    assert in_child(use_after_close) == 0


def test_view_survives_garbage_collection(compiled: CompiledModule) -> None:
    def use_after_gc() -> None:
        o = BpfObject(compiled.elf, compiled=compiled)
        o.maps.grid[0] = [5, 6, 7, 8]
        v = o.maps.grid.view()
        del o
        gc.collect()
        assert v[0].tolist() == [5, 6, 7, 8]
        v[0] += 1
        assert v[0].tolist() == [6, 7, 8, 9]
    assert in_child(use_after_gc) == 0


# (statement, exception, words the message must contain)
BAD_SETS = [
    ("o.maps.counts[2**32] = 7", OverflowError,
     ["map 'counts' key", "4294967296", "0..4294967295"]),
    ("o.maps.counts[-1] = 8", OverflowError, ["map 'counts' key", "-1", "u32"]),
    ("o.maps.counts[1.9] = 9", TypeError, ["map 'counts' key", "float", "int"]),
    ("o.maps.counts['a'] = 9", TypeError, ["map 'counts' key", "str"]),
    ("o.maps.counts[1] = 2**64", OverflowError, ["map 'counts' value", "0..18446744073709551615"]),
    ("o.maps.counts[1] = 1.0", TypeError, ["map 'counts' value", "float"]),
    ("o.maps.names[1] = bytes(33)", ValueError, ["map 'names' value", "33 bytes", "u8[32]"]),
    ("o.maps.names[1] = [300] * 32", OverflowError, ["map 'names' value[0]", "300", "0..255"]),
    ("o.maps.names[1] = [1] * 31", ValueError, ["map 'names' value", "31", "32"]),
    ("o.maps.names[1] = 'abc'", TypeError, ["map 'names' value", "u8[32]"]),
    ("o.maps.stock[1] = 5", TypeError, ["map 'stock' value", "struct Item", "int"]),
    ("o.maps.stock[1] = o.structs.Item(pos=o.structs.Pos(x=256))", OverflowError,
     ["map 'stock' value.pos.x", "256", "0..255"]),
    ("o.maps.stock[1] = o.structs.Item(pos=o.structs.Pos(y=-129))", OverflowError,
     ["map 'stock' value.pos.y", "-128..127"]),
    ("o.maps.stock[1] = o.structs.Item(pos=5)", TypeError, ["value.pos", "struct Pos"]),
    ("o.maps.stock[1] = o.structs.Item(tag=[1, 2, 3, 4, 5])", ValueError, ["value.tag", "u8[4]"]),
    ("o.maps.stock[1] = o.structs.Item(ok=2)", OverflowError, ["value.ok", "bool"]),
    ("o.maps.stock[1] = o.structs.Item(id=-1)", OverflowError, ["value.id", "0..4294967295"]),
    ("o.maps.stock[1] = o.structs.Pos()", TypeError, ["struct Item", "Pos"]),
    ("o.maps.arr[2**32] = 1", OverflowError, ["map 'arr' key", "0..4294967295"]),
    ("o.maps.arr[1.0] = 1", TypeError, ["map 'arr' key", "float"]),
    ("o.maps.arr[1] = -1", OverflowError, ["map 'arr' value", "-1", "0..4294967295"]),
    ("o.maps.pc[0] = 256", OverflowError, ["map 'pc' value", "0..255"]),
    ("o.globals.small = 256", OverflowError, ["global 'small'", "256", "0..255"]),
    ("o.globals.delta = -129", OverflowError, ["global 'delta'", "-128..127"]),
    ("o.globals.small = 1.5", TypeError, ["global 'small'", "float"]),
    ("o.programs.emit.test_run(ctx=o.structs.Item(id=2**32))", OverflowError,
     ["test_run ctx.id", "0..4294967295"]),
]


@pytest.mark.parametrize("stmt,exc,words", BAD_SETS, ids=[s for s, _, _ in BAD_SETS])
def test_bad_values_are_refused_and_nothing_is_stored(obj: BpfObject, stmt: str, exc: type,
                                                      words: list[str]) -> None:
    before = (obj.maps.counts.items(), obj.maps.names.items(), obj.maps.stock.items(),
              obj.maps.arr.items(), obj.maps.pc.items(), obj.globals.items())
    with pytest.raises(exc) as info:
        exec(stmt, {"o": obj})
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    after = (obj.maps.counts.items(), obj.maps.names.items(), obj.maps.stock.items(),
             obj.maps.arr.items(), obj.maps.pc.items(), obj.globals.items())
    assert before == after


def test_good_values_still_store(obj: BpfObject) -> None:
    Item, Pos = obj.structs.Item, obj.structs.Pos
    obj.maps.counts[2**32 - 1] = 2**64 - 1
    obj.maps.names[1] = b"abc"                      # shorter bytes: zero-padded (a C string)
    obj.maps.stock[0] = Item(id=7, pos=Pos(x=255, y=-128), tag=b"ab", ok=True)
    obj.maps.stock[1] = {"id": 1, "pos": {"x": 1, "y": 2}, "tag": [1, 2, 3, 4], "ok": 0}
    obj.globals.delta = -128
    assert obj.maps.counts[2**32 - 1] == 2**64 - 1
    assert obj.maps.names[1][:4] == [97, 98, 99, 0]
    assert obj.maps.stock[0] == Item(id=7, pos=Pos(x=255, y=-128), tag=[97, 98, 0, 0], ok=True)
    assert obj.maps.stock[1].tag == [1, 2, 3, 4]
    assert obj.globals.delta == -128
    assert 2**32 not in obj.maps.counts and 1.5 not in obj.maps.counts and -1 not in obj.maps.arr


def test_repr_of_closed_objects(compiled: CompiledModule) -> None:
    o = BpfObject(compiled.elf, compiled=compiled)
    things = [o, o.programs.emit, o.maps.counts, o.maps.events, o.globals]
    o.close()
    texts = [repr(t) for t in things]
    assert texts[0] == "<BpfObject 'ebpfpy' closed>"
    assert "closed" in texts[1] and texts[4] == "Globals(closed)"
    with pytest.raises(ValueError, match="closed"):
        o.maps.counts[1] = 1
    with pytest.raises(ValueError, match="closed"):
        o.programs.emit.insn_cnt


def test_ring_buffer_polled_from_threads_delivers_each_record_once(obj: BpfObject) -> None:
    n, got, done = 200, [], threading.Event()
    lock = threading.Lock()

    def poller() -> None:
        while not done.is_set():
            recs = list(obj.maps.events.poll(timeout=0.05))
            with lock:
                got.extend(recs)

    threads = [threading.Thread(target=poller) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(n):
        obj.programs.emit.test_run(ctx=obj.structs.Item(id=i))
    for _ in range(100):
        with lock:
            if len(got) >= n:
                break
        threading.Event().wait(0.02)
    done.set()
    for t in threads:
        t.join()
    got += obj.maps.events.consume()
    assert sorted(p.x for p in got) == sorted(i % 256 for i in range(n))
    assert obj.maps.events.received == n


# ----------------------------------------------------------------- corrupt objects
def test_load_of_a_corrupt_object_is_a_load_error() -> None:
    import ebpfpy
    from ebpfpy.errors import LoadError
    from ebpfpy.testing.objfuzz import Mutant, seed_object
    bad = Mutant(((4428, b"\x81"),)).apply(seed_object())   # crashed libbpf 1.1.2's open
    with pytest.raises(LoadError, match="^not a valid BPF object: .BTF type 13 refers to type"):
        ebpfpy.load(bad)
    with pytest.raises(ValueError, match="not a valid BPF object"):
        ebpfpy.load(bad)


def test_random_mutants_load_or_fail_cleanly_in_the_kernel() -> None:
    import random
    from ebpfpy.testing.objfuzz import OK_EXIT, SKIPPED_EXIT, load_in_child, mutate, seed_object
    seed = seed_object()
    with BpfObject(seed) as o:                  # the seed itself loads
        assert list(o.programs) == ["run"]
    findings = []
    for n in range(150):
        m = mutate(random.Random(f"kernel-ci:{n}"), seed)
        rc = load_in_child(m.apply(seed))
        if rc not in (OK_EXIT, SKIPPED_EXIT):
            findings.append(f"mutant {n} (exit {rc}): {m}")
    assert not findings, "\n".join(findings)
