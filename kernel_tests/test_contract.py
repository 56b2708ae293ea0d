"""LANGUAGE.md §5 as written, on a real kernel: every row of the maps table and every
null-check form of ``lookup``, ring-buffer output read back with ``poll``, tail calls through a
``ProgArray`` filled from userspace.  (§1 and §7 are in ``test_contract_api.py``.)
"""
from __future__ import annotations

import errno
import sys
import textwrap

import pytest

import ebpfpy
from ebpfpy import libbpf as L

U64 = (1 << 64) - 1

SOURCE = textwrap.dedent('''
    from ebpfpy import (bpf_program, struct, Array, HashMap, RingBuf, ProgArray, u8, u32, u64,
                        XDP_PASS, XDP_DROP, XDP_TX)

    @struct
    class Args:
        k: u32
        op: u32
        i: u32
        pad: u32
        v: u64
        out: u64
        out2: u64

    @struct
    class Point:
        x: u32
        y: u32
        cells: u8[8]

    @struct
    class Event:
        k: u32
        v: u64

    counts = HashMap(u32, u64, 64)
    points = HashMap(u32, Point, 16)
    events = RingBuf(4096, event=Event)
    progs = ProgArray(4)
    arr = Array(u64, 4)

    @bpf_program("syscall")
    def read_absent(ctx: Args) -> int:
        ctx.out = counts[ctx.k]
        ctx.out2 = u64(ctx.k in counts)
        return 0

    @bpf_program("syscall")
    def assign(ctx: Args) -> int:
        counts[ctx.k] = ctx.v
        return 0

    @bpf_program("syscall")
    def augment(ctx: Args) -> int:
        if ctx.op == 0:
            counts[ctx.k] += ctx.v
        elif ctx.op == 1:
            counts[ctx.k] -= ctx.v
        elif ctx.op == 2:
            counts[ctx.k] |= ctx.v
        elif ctx.op == 3:
            counts[ctx.k] &= ctx.v
        elif ctx.op == 4:
            counts[ctx.k] ^= ctx.v
        return 0

    @bpf_program("syscall")
    def delete(ctx: Args) -> int:
        del counts[ctx.k]
        return 0

    @bpf_program("syscall")
    def contains(ctx: Args) -> int:
        ctx.out = u64(ctx.k in counts)
        ctx.out2 = counts.get(ctx.k, ctx.v)
        return 0

    @bpf_program("syscall")
    def lookup_is_none(ctx: Args) -> int:
        r = counts.lookup(ctx.k)
        if r is None:
            return 0
        r.value += ctx.v
        ctx.out = r.value
        return 1

    @bpf_program("syscall")
    def lookup_is_not_none(ctx: Args) -> int:
        r = counts.lookup(ctx.k)
        if r is not None:
            r.value += ctx.v
            ctx.out = r.value
            return 1
        return 0

    @bpf_program("syscall")
    def lookup_truthy(ctx: Args) -> int:
        r = counts.lookup(ctx.k)
        if r:
            r.value += ctx.v
            ctx.out = r.value
            return 1
        return 0

    @bpf_program("syscall")
    def lookup_not(ctx: Args) -> int:
        r = counts.lookup(ctx.k)
        if not r:
            return 0
        r.value += ctx.v
        ctx.out = r.value
        return 1

    @bpf_program("syscall")
    def lookup_in_loop(ctx: Args) -> int:
        found = u64(0)
        for k in range(8):
            r = counts.lookup(k)
            if r is None:
                continue
            found += r.value
            if r.value == 1000:
                break
        ctx.out = found
        return 0

    @bpf_program("syscall")
    def point_ref(ctx: Args) -> int:
        p = points.lookup(ctx.k)
        if p is None:
            return 0
        p.x += 1
        p.y = p.x * 10
        i = ctx.i
        if i < 8:
            p.cells[i] = u8(ctx.v)
        total = u64(0)
        for j in range(8):
            total += p.cells[j]
        ctx.out = total
        ctx.out2 = u64(p.cells[-1])
        return 1

    @bpf_program("syscall")
    def point_copy(ctx: Args) -> int:
        p = points[ctx.k]
        p.x = 999
        ctx.out = u64(p.x)
        ctx.out2 = u64(points[ctx.k].x)
        points[ctx.k + 1] = Point(x=ctx.k, y=u32(ctx.v))
        return 0

    @bpf_program("syscall")
    def emit(ctx: Args) -> int:
        for j in range(3):
            rc = events.output(Event(k=ctx.k + u32(j), v=ctx.v))
            if rc != 0:
                return 1
        return 0

    @bpf_program("xdp")
    def xdp_count(ctx) -> int:
        arr[1] += 1
        counts[3] += 2
        return XDP_PASS

    @bpf_program("xdp")
    def entry(ctx) -> int:
        progs.tail_call(ctx, 0)
        return XDP_PASS

    @bpf_program("xdp")
    def handler(ctx) -> int:
        return XDP_DROP

    @bpf_program("xdp")
    def other(ctx) -> int:
        return XDP_TX
''')

PACKET = b"\xff" * 12 + b"\x08\x00" + b"\0" * 46


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


@pytest.fixture(scope="module")
def elf() -> bytes:
    return ebpfpy.compile(source=SOURCE, filename="contract_maps.py")


@pytest.fixture
def obj(elf):
    with ebpfpy.load(elf) as o:
        yield o


def run(obj, prog: str, **args):
    """Run a syscall program with ``Args(**args)``; (retval, Args written back)."""
    Args = obj.structs.Args
    r = obj.programs[prog].test_run(ctx=Args(**args))
    return r.retval, Args.from_bytes(r.ctx)


# ------------------------------------------------------------------ m[k], m[k] = v
def test_subscript_of_an_absent_key_is_zero_and_inserts_nothing(obj) -> None:
    rc, out = run(obj, "read_absent", k=5)
    assert (rc, out.out, out.out2) == (0, 0, 0)
    assert 5 not in obj.maps.counts and len(obj.maps.counts) == 0


def test_subscript_reads_a_copy_of_the_value(obj) -> None:
    obj.maps.counts[5] = 41
    rc, out = run(obj, "read_absent", k=5)
    assert (out.out, out.out2) == (41, 1)


def test_assignment_inserts_and_replaces(obj) -> None:
    run(obj, "assign", k=3, v=7)
    assert obj.maps.counts[3] == 7
    run(obj, "assign", k=3, v=U64)
    assert obj.maps.counts[3] == U64 and len(obj.maps.counts) == 1


# ------------------------------------------------------------------ m[k] op= v
AUG = [(0, lambda a, b: a + b), (1, lambda a, b: a - b), (2, lambda a, b: a | b),
       (3, lambda a, b: a & b), (4, lambda a, b: a ^ b)]


@pytest.mark.parametrize("op,fn", AUG, ids=["+=", "-=", "|=", "&=", "^="])
def test_augmented_assignment_creates_then_updates(obj, op, fn) -> None:
    run(obj, "augment", k=9, op=op, v=0b1100)
    assert 9 in obj.maps.counts
    assert obj.maps.counts[9] == fn(0, 0b1100) & U64
    run(obj, "augment", k=9, op=op, v=0b1010)
    assert obj.maps.counts[9] == fn(fn(0, 0b1100) & U64, 0b1010) & U64
    obj.maps.counts[10] = 0xF0F0
    run(obj, "augment", k=10, op=op, v=0xFF)
    assert obj.maps.counts[10] == fn(0xF0F0, 0xFF) & U64


def test_augmented_add_wraps_modulo_2_64(obj) -> None:
    obj.maps.counts[1] = U64
    run(obj, "augment", k=1, op=0, v=2)
    assert obj.maps.counts[1] == 1


# ------------------------------------------------------------------ del, in, get
def test_del_removes_and_del_of_an_absent_key_does_nothing(obj) -> None:
    obj.maps.counts[4] = 1
    assert run(obj, "delete", k=4)[0] == 0
    assert 4 not in obj.maps.counts
    assert run(obj, "delete", k=4)[0] == 0           # absent: no error, nothing happens
    assert len(obj.maps.counts) == 0


def test_in_and_get_with_default(obj) -> None:
    rc, out = run(obj, "contains", k=2, v=77)
    assert (out.out, out.out2) == (0, 77)
    assert 2 not in obj.maps.counts                  # get() inserts nothing either
    obj.maps.counts[2] = 5
    rc, out = run(obj, "contains", k=2, v=77)
    assert (out.out, out.out2) == (1, 5)


# ------------------------------------------------------------------ lookup and null checks
@pytest.mark.parametrize("prog", ["lookup_is_none", "lookup_is_not_none", "lookup_truthy",
                                  "lookup_not"])
def test_lookup_each_null_check_form(obj, prog) -> None:
    rc, out = run(obj, prog, k=6, v=3)
    assert (rc, out.out) == (0, 0)                   # None: the program took the None path
    assert 6 not in obj.maps.counts
    obj.maps.counts[6] = 10
    rc, out = run(obj, prog, k=6, v=3)
    assert (rc, out.out) == (1, 13)                  # r.value read and written in place
    assert obj.maps.counts[6] == 13


def test_lookup_checked_with_continue_and_break(obj) -> None:
    for k, v in {1: 10, 3: 1000, 5: 7}.items():
        obj.maps.counts[k] = v
    rc, out = run(obj, "lookup_in_loop")
    assert out.out == 10 + 1000                      # 0, 2 skipped; break after key 3


def test_struct_reference_fields_and_array_elements(obj) -> None:
    Point = obj.structs.Point
    obj.maps.points[1] = Point(x=4, y=0, cells=[1, 2, 3, 4, 5, 6, 7, 8])
    rc, out = run(obj, "point_ref", k=1, i=2, v=30)
    assert rc == 1
    assert out.out == 1 + 2 + 30 + 4 + 5 + 6 + 7 + 8
    assert out.out2 == 8                             # cells[-1]
    assert obj.maps.points[1] == Point(x=5, y=50, cells=[1, 2, 30, 4, 5, 6, 7, 8])
    rc, out = run(obj, "point_ref", k=1, i=8, v=99)  # out of range: guarded, not written
    assert obj.maps.points[1].cells == [1, 2, 30, 4, 5, 6, 7, 8]
    assert run(obj, "point_ref", k=2)[0] == 0        # absent


def test_subscript_copies_and_assignment_stores_a_struct(obj) -> None:
    Point = obj.structs.Point
    obj.maps.points[7] = Point(x=1, y=2)
    rc, out = run(obj, "point_copy", k=7, v=5)
    assert (out.out, out.out2) == (999, 1)           # the copy changed, the map did not
    assert obj.maps.points[7] == Point(x=1, y=2)
    assert obj.maps.points[8] == Point(x=7, y=5)


# ------------------------------------------------------------------ ring buffer
def test_events_output_is_read_back_with_poll(tmp_path) -> None:
    path = tmp_path / "contract_maps.py"
    path.write_text(SOURCE)
    with ebpfpy.load(path) as obj:                   # loaded from source: records decode
        rc, _ = run(obj, "emit", k=20, v=123)
        assert rc == 0                               # every output() returned 0
        got = list(obj.maps.events.poll(timeout=1.0))
        Event = obj.structs.Event
        assert got == [Event(k=20, v=123), Event(k=21, v=123), Event(k=22, v=123)]
        assert list(obj.maps.events.poll(timeout=0.1)) == []


def test_events_from_elf_bytes_decode_from_btf(obj) -> None:
    """Without the source the record type comes from the object's BTF (the compiler keeps
    it there for load(elf_bytes)); the records' bytes are exactly what the kernel wrote."""
    run(obj, "emit", k=1, v=2)
    got = list(obj.maps.events.poll(timeout=1.0))
    assert [bytes(e) for e in got] == [struct_bytes(k, 2) for k in (1, 2, 3)]   # padding zeroed
    assert all(hasattr(e, "__bpf_type__") for e in got)


def struct_bytes(k: int, v: int) -> bytes:
    return k.to_bytes(4, sys.byteorder) + bytes(4) + v.to_bytes(8, sys.byteorder)


# ------------------------------------------------------------------ tail calls
def test_tail_call_through_a_prog_array(obj) -> None:
    entry = obj.programs.entry
    assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_PASS     # empty slot: falls through
    obj.maps.progs[0] = obj.programs.handler
    assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_DROP
    obj.maps.progs[0] = obj.programs.other
    assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_TX
    del obj.maps.progs[0]
    assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_PASS


FILL = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, RingBuf, u32, u64, i64

    @struct
    class Out:
        failed: u64
        first: i64

    @struct
    class Event:
        k: u32
        v: u64

    events = RingBuf(4096, event=Event)

    @bpf_program("syscall")
    def fill(ctx: Out) -> int:
        for j in range(400):
            rc = events.output(Event(k=u32(j), v=1))
            if rc != 0:
                ctx.failed += 1
                if ctx.first == 0:
                    ctx.first = rc
        return 0
''')


def test_events_output_returns_a_negative_error_when_full() -> None:
    """4096 bytes hold about 170 records of 16 bytes (+8 header): the rest fail with -EAGAIN."""
    with ebpfpy.load(ebpfpy.compile(source=FILL, filename="fill.py")) as obj:
        r = obj.programs.fill.test_run(ctx=obj.structs.Out())
        out = obj.structs.Out.from_bytes(r.ctx)
        assert r.retval == 0
        assert 0 < out.failed < 400
        assert out.first == -errno.EAGAIN
        got = list(obj.maps.events.poll(timeout=1.0))
        assert len(got) == 400 - out.failed




# ------------------------------------------------------------------ in place under repeat
def test_augmented_assignment_in_place_on_arrays_and_hashes(obj) -> None:
    r = obj.programs.xdp_count.test_run(data=PACKET, repeat=1000)
    assert r.retval == ebpfpy.XDP_PASS
    assert obj.maps.arr[1] == 1000 and obj.maps.counts[3] == 2000


# ------------------------------------------------------------------ compile-time rules
UNCHECKED = textwrap.dedent('''
    from ebpfpy import bpf_program, HashMap, u32, u64

    counts = HashMap(u32, u64, 4)

    @bpf_program("syscall")
    def f(ctx) -> int:
        r = counts.lookup(1)
        r.value += 1
        return 0
''')

UNGUARDED = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, u8, u32

    @struct
    class A:
        i: u32

    cells = Array(u8[8], 1)

    @bpf_program("syscall")
    def f(ctx: A) -> int:
        c = cells.lookup(0)
        if c is None:
            return 0
        i = ctx.i
        c[i] = 1
        return 0
''')


def test_an_unchecked_lookup_is_a_compile_error_at_the_use() -> None:
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=UNCHECKED, filename="unchecked.py")
    e = ei.value
    assert (e.lineno, e.col_offset) == (9, 4)        # `r.value += 1`
    assert "if r is None" in str(e)                  # the note shows the check


def test_an_unguarded_index_is_a_compile_error_whose_note_shows_the_guard() -> None:
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=UNGUARDED, filename="unguarded.py")
    e = ei.value
    assert e.lineno == 16 and e.col_offset == UNGUARDED.splitlines()[15].index("i]")
    assert "if i < 8" in str(e)


WRAP = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, u8, u32

    N = 8

    @struct
    class A:
        i: u32
        out: u32

    ring = Array(u8[N], 1)

    @bpf_program("syscall")
    def neighbours(ctx: A) -> int:
        r = ring.lookup(0)
        if r is None:
            return 0
        i = ctx.i
        if i < N:
            left = i - 1 if i > 0 else N - 1            # guarded by the conditional itself
            right = (i + 1) & (N - 1)                   # bounded by the mask
            ctx.out = u32(r[left]) * 100 + u32(r[right])
        return 0
''')


def test_indices_guarded_by_a_conditional_or_a_mask() -> None:
    with ebpfpy.load(ebpfpy.compile(source=WRAP, filename="wrap.py")) as obj:
        obj.maps.ring[0] = list(range(10, 18))
        A = obj.structs.A
        for i, want in ((0, 17 * 100 + 11), (3, 12 * 100 + 14), (7, 16 * 100 + 10)):
            r = obj.programs.neighbours.test_run(ctx=A(i=i))
            assert A.from_bytes(r.ctx).out == want
