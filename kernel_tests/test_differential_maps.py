"""Differential tests beyond arithmetic: maps from both sides, struct round trips,
``@bpf_function`` calls, loops with break/continue/early return.

Each test drives the kernel through ``BPF_PROG_TEST_RUN`` on ``syscall`` programs and checks
the result against what the same Python code means in CPython (written out in the test).
"""
from __future__ import annotations

import random
import textwrap

import pytest

from ebpfpy.api import compile_full
from ebpfpy import libbpf as L
from ebpfpy.loader.object import BpfObject
from ebpfpy.types import i32, i64, u16, u32, u64

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, bpf_function, struct, Array, HashMap, u8, u16, u32, u64, i32, i64

    @struct
    class Inner:
        a: u16
        flag: bool
        b: i32

    @struct
    class Outer:
        id: u32
        inner: Inner
        items: Inner[3]
        grid: u16[2][3]
        ok: bool
        total: i64

    @struct
    class Args:
        key: u32
        n: u32
        val: u64
        r: i64[6]

    counts = HashMap(u32, u64, max_entries=64)
    slots = Array(u64, 8)
    objs = HashMap(u32, Outer, max_entries=16)

    @bpf_function
    def scaled(x: i32, k: i32) -> i64:
        return i64(x) * k

    @bpf_function
    def fill(o: Outer, base: u32) -> u32:
        o.id = base
        o.inner.a = u16(base)
        o.inner.flag = base > 10
        o.inner.b = -i32(base)
        for i in range(3):
            o.items[i].a = u16(base + i)
            o.items[i].flag = i == 1
            o.items[i].b = i32(i) - 1
        for r in range(2):
            for c in range(3):
                o.grid[r][c] = u16(base * 10 + u32(r * 3 + c))
        o.ok = True
        return base + 1

    @bpf_function
    def summary(o: Outer) -> i64:
        t: i64 = o.inner.b
        for i in range(3):
            t += i64(o.items[i].a)
            if o.items[i].flag:
                t += 1000
        for r in range(2):
            for c in range(3):
                t += i64(o.grid[r][c])
        return t

    @bpf_program("syscall")
    def bump(ctx: Args) -> int:
        counts[ctx.key] += ctx.val
        slots[ctx.key] += ctx.val
        return 0

    @bpf_program("syscall")
    def query(ctx: Args) -> int:
        ctx.r[0] = i64(u8(ctx.key in counts))
        ctx.r[1] = i64(counts.get(ctx.key, 99))
        ctx.r[2] = i64(counts[ctx.key])
        ctx.r[3] = i64(u8(ctx.key in counts))       # reading m[k] inserted nothing
        r = counts.lookup(ctx.key)
        if r is None:
            ctx.r[4] = -1
        else:
            ctx.r[4] = i64(r.value)
            r.value += 5
        ctx.r[5] = i64(slots[ctx.key])
        return 0

    @bpf_program("syscall")
    def remove(ctx: Args) -> int:
        del counts[ctx.key]
        return 0

    @bpf_program("syscall")
    def build(ctx: Args) -> int:
        o = Outer()
        nxt = fill(o, ctx.key)
        o.total = summary(o)
        objs[ctx.key] = o
        ctx.r[0] = i64(nxt)
        ctx.r[1] = o.total
        ctx.r[2] = scaled(i32(ctx.key), -3)
        return 0

    @bpf_program("syscall")
    def echo(ctx: Args) -> int:
        """Read what userspace stored under key, change it through a reference, copy it on."""
        r = objs.lookup(ctx.key)
        if not r:
            return 1
        r.inner.b += 1
        r.items[2].flag = not r.items[2].flag
        r.grid[1][2] = r.grid[0][0] + 1
        objs[ctx.key + 1] = r
        ctx.r[0] = summary(r)
        return 0

    @bpf_program("syscall")
    def loops(ctx: Args) -> int:
        total: u64 = 0
        for i in range(min(ctx.n, 200)):
            if i % 3 == 0:
                continue
            if i * i > ctx.val:
                break
            total += i
            if i == ctx.key:
                ctx.r[0] = i64(total)
                return 7
        ctx.r[0] = i64(total)
        for j in range(10, 0, -2):
            ctx.r[1] = ctx.r[1] * 10 + j
        return 3
''')


@pytest.fixture(autouse=True)
def _btf_kept():
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


@pytest.fixture
def obj():
    compiled = compile_full(source=SOURCE, filename="maps_diff.py")
    with BpfObject(compiled.elf, compiled=compiled) as o:
        yield o


def run(obj, prog: str, **kw):
    Args = obj.structs.Args
    r = getattr(obj.programs, prog).test_run(ctx=Args(**kw))
    return r.retval, Args.from_bytes(r.ctx).r


def test_hash_map_kernel_and_userspace_agree(obj) -> None:
    """A random mix of kernel += / del and userspace writes, mirrored in a dict."""
    rng = random.Random(7)
    m, mirror, slots = obj.maps.counts, {}, [0] * 8
    for step in range(300):
        key = rng.randrange(12)
        what = rng.random()
        if what < 0.4:
            val = rng.choice([1, 2, 2**63, 2**64 - 1, rng.randrange(2**64)])
            assert run(obj, "bump", key=key, val=val)[0] == 0
            mirror[key] = u64.wrap(mirror.get(key, 0) + val)
            if key < 8:
                slots[key] = u64.wrap(slots[key] + val)
        elif what < 0.55:
            run(obj, "remove", key=key)
            mirror.pop(key, None)
        elif what < 0.7:
            v = rng.randrange(2**64)
            m[key] = v
            mirror[key] = v
        elif what < 0.8 and key in mirror:
            del m[key]
            del mirror[key]
        else:
            _, r = run(obj, "query", key=key)
            present = key in mirror
            want = [int(present), mirror.get(key, 99), mirror.get(key, 0), int(present),
                    i64.wrap(mirror[key]) if present else -1, i64.wrap(slots[key] if key < 8 else 0)]
            want[1] = i64.wrap(want[1])
            want[2] = i64.wrap(want[2])
            assert r == want, f"step {step}, key {key}"
            if present:
                mirror[key] = u64.wrap(mirror[key] + 5)     # written through the reference
        assert dict(m.items()) == mirror, f"step {step}"
        assert len(m) == len(mirror)
    assert [obj.maps.slots[k] for k in range(8)] == slots
    with pytest.raises(KeyError):
        m[1000]
    assert m.get(1000, "absent") == "absent"


def test_struct_round_trip_through_functions(obj) -> None:
    """fill() writes a struct through a reference (nested struct, array of structs, 2-D
    array, bool fields); summary() reads it back; userspace sees the same object."""
    Outer, Inner = obj.structs.Outer, obj.structs.Inner
    for key in (0, 3, 11, 4000):
        _, r = run(obj, "build", key=key)
        want = Outer(id=key, inner=Inner(a=u16.wrap(key), flag=key > 10, b=i32.wrap(-key)),
                     items=[Inner(a=u16.wrap(key + i), flag=i == 1, b=i - 1) for i in range(3)],
                     grid=[[u16.wrap(key * 10 + r_ * 3 + c) for c in range(3)] for r_ in range(2)],
                     ok=True, total=0)
        want.total = summary(want)
        assert obj.maps.objs[key] == want
        assert r[:3] == [key + 1, want.total, i64.wrap(key * -3)]


def summary(o) -> int:
    """CPython twin of the BPF summary()."""
    t = o.inner.b
    for it in o.items:
        t += it.a + (1000 if it.flag else 0)
    return t + sum(sum(row) for row in o.grid)


def test_userspace_struct_read_and_changed_in_kernel(obj) -> None:
    Outer, Inner = obj.structs.Outer, obj.structs.Inner
    src = Outer(id=9, inner=Inner(a=1, flag=True, b=2**31 - 1),
                items=[Inner(a=65535, flag=False, b=-5), Inner(a=2, flag=True, b=0),
                       Inner(a=3, flag=True, b=7)],
                grid=[[1, 2, 3], [4, 5, 6]], ok=False, total=-1)
    obj.maps.objs[5] = src
    rv, r = run(obj, "echo", key=5)
    assert rv == 0
    want = Outer.from_bytes(bytes(src))
    want.inner.b = i32.wrap(src.inner.b + 1)                 # wraps to MIN
    want.items[2].flag = False
    want.grid[1][2] = 2
    assert obj.maps.objs[5] == want                          # changed in place
    assert obj.maps.objs[6] == want                          # and copied on
    assert r[0] == summary(want)
    assert run(obj, "echo", key=12)[0] == 1                  # absent: lookup gave None


@pytest.mark.parametrize("n, val, key", [(0, 0, 99), (10, 1000, 99), (200, 10**6, 99),
                                          (50, 400, 99), (50, 400, 8), (50, 400, 9),
                                          (7, 5, 2), (2**32 - 1, 2**64 - 1, 150)])
def test_loops_break_continue_early_return(obj, n: int, val: int, key: int) -> None:
    total, ret = 0, 3
    for i in range(min(n, 200)):
        if i % 3 == 0:
            continue
        if i * i > val:
            break
        total += i
        if i == key:
            ret = 7
            break
    rv, r = run(obj, "loops", n=n, val=val, key=key)
    assert rv == ret
    assert r[0] == total
    assert r[1] == (108642 if ret == 3 else 0)       # range(10, 0, -2): 10, 8, 6, 4, 2


AUG_TYPES = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"]
AUG_OPS = ["+", "-", "|", "&", "^"]


def _aug_source() -> str:
    src = textwrap.dedent('''
        from ebpfpy import bpf_program, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

        @struct
        class Args:
            key: u32
            op: u32
            v: u64
    ''')
    for t in AUG_TYPES:
        src += f"h_{t} = HashMap(u32, {t}, max_entries=8)\na_{t} = Array({t}, 4)\n"
    src += '\n@bpf_program("syscall")\ndef run(ctx: Args) -> int:\n'
    for i, op in enumerate(AUG_OPS):
        src += f"    if ctx.op == {i}:\n"
        for t in AUG_TYPES:
            src += f"        h_{t}[ctx.key] {op}= {t}(ctx.v)\n        a_{t}[ctx.key] {op}= {t}(ctx.v)\n"
    return src + "    return 0\n"


def test_map_augmented_assignment_every_op_and_value_type() -> None:
    """``m[k] op= v`` for + - | & ^ on hash maps (creating absent entries) and arrays, for
    every integer value type, wrapping like the value type, mirrored in CPython dicts."""
    from ebpfpy.types import INT_TYPES
    compiled = compile_full(source=_aug_source(), filename="aug_maps.py")
    rng = random.Random(11)
    mirror = {t: {} for t in AUG_TYPES}
    with BpfObject(compiled.elf, compiled=compiled) as o:
        Args = o.structs.Args
        for step in range(250):
            k, i = rng.randrange(4), rng.randrange(len(AUG_OPS))
            v = rng.choice([0, 1, 2**64 - 1, 2**63, 255, 128, 65535, rng.randrange(2**64)])
            assert o.programs.run.test_run(ctx=Args(key=k, op=i, v=v)).retval == 0
            for t in AUG_TYPES:
                T, old = INT_TYPES[t], mirror[t].get(k, 0)
                x = T.wrap(v)
                mirror[t][k] = T.wrap({"+": old + x, "-": old - x, "|": old | x, "&": old & x,
                                       "^": old ^ x}[AUG_OPS[i]])
            for t in AUG_TYPES:
                assert dict(getattr(o.maps, "h_" + t).items()) == mirror[t], (step, t)
                arr = getattr(o.maps, "a_" + t)
                assert [arr[j] for j in range(4)] == [mirror[t].get(j, 0) for j in range(4)], (step, t)


RANGES = textwrap.dedent('''
from ebpfpy import bpf_program, struct, u8, u32, i32, i64, u64
@struct
class Args:
    n: i32
    m: u32
    k: i64
    r: i64[8]

@bpf_program("syscall")
def run(ctx: Args) -> int:
    for i in range(min(ctx.n, 50)):
        ctx.r[0] += i
    for i in range(5, min(ctx.n, 40), 3):
        ctx.r[1] += i
    for i in range(min(ctx.m, 30)):
        ctx.r[2] += i64(i)
    for i in range(10, -10, -3):
        ctx.r[3] = ctx.r[3] * 3 + i
    for i in range(max(ctx.n, -20), 20):
        ctx.r[4] += i
        if i > 15:
            break
    for i in range(min(ctx.k, 25), -5, -2):
        ctx.r[5] += i
    for i in range(3):
        for j in range(i, 4):
            if j == 2:
                continue
            ctx.r[6] = ctx.r[6] * 10 + i * 4 + j
    for i in range(min(ctx.m, 7)):
        ctx.r[7] += 1
    return 0
''')


def _ranges_py(n: int, m: int, k: int) -> list[int]:
    """CPython twin of RANGES' program."""
    r = [0]*8
    for i in range(min(n, 50)): r[0] += i
    for i in range(5, min(n, 40), 3): r[1] += i
    for i in range(min(m, 30)): r[2] += i
    for i in range(10, -10, -3): r[3] = r[3]*3 + i
    for i in range(max(n, -20), 20):
        r[4] += i
        if i > 15: break
    for i in range(min(k, 25), -5, -2): r[5] += i
    for i in range(3):
        for j in range(i, 4):
            if j == 2: continue
            r[6] = r[6]*10 + i*4 + j
    for i in range(min(m, 7)): r[7] += 1
    return r


def test_range_forms_agree_with_cpython() -> None:
    """Capped runtime bounds (empty when negative), starts and negative steps, nested
    loops with continue, break: the iteration sequences match Python's ``range``."""
    import itertools
    compiled = compile_full(source=RANGES, filename="ranges.py")
    with BpfObject(compiled.elf, compiled=compiled) as o:
        A = o.structs.Args
        for n, m, k in itertools.product([-2**31, -30, -1, 0, 1, 7, 39, 100, 2**31 - 1],
                                         [0, 1, 29, 2**32 - 1],
                                         [-2**63, -6, -5, 0, 24, 2**63 - 1]):
            got = A.from_bytes(o.programs.run.test_run(ctx=A(n=n, m=m, k=k)).ctx).r
            assert got == _ranges_py(n, m, k), (n, m, k)


ALIASING = textwrap.dedent('''
    from ebpfpy import bpf_program, bpf_function, struct, u8, u32, i64, HashMap

    @struct
    class P:
        x: u32
        ok: bool
        g: u8[2][3]

    @struct
    class Args:
        n: u32
        flag: bool
        p: P
        ps: P[2]
        r: i64[8]

    store = HashMap(u32, P, max_entries=4)
    by_key = HashMap(P, u32, max_entries=4)

    @bpf_function
    def bump(q: P, by: u32) -> u32:
        q.x += by
        q.g[1][2] = u8(by)
        q.ok = not q.ok
        return q.x

    @bpf_program("syscall")
    def run(ctx: Args) -> int:
        p = P(x=1)
        q = p
        q.x = 5
        ctx.r[0] = i64(p.x)
        arr = P[2]()
        arr[0] = p
        p.x = 9
        ctx.r[1] = i64(arr[0].x)
        ctx.r[2] = i64(bump(p, 3))
        ctx.r[3] = i64(q.x)
        ctx.r[4] = i64(u8(q.ok))
        ctx.ps[1] = p
        ctx.r[5] = i64(bump(ctx.p, ctx.n))
        store[1] = ctx.p
        by_key[ctx.p] = ctx.n
        ctx.p.x = 0
        s = store[1]
        ctx.r[6] = i64(s.x)
        ctx.flag = not ctx.flag
        g = ctx.p.g
        g[0][1] = 77
        ctx.r[7] = i64(ctx.p.g[0][1])
        return 0
''')


def test_aliasing_copies_and_references_as_in_python() -> None:
    """``q = p`` aliases; storing into an element, a ctx field or a map copies; struct
    parameters are references (also into ctx); ``g = ctx.p.g`` is a view; map keys and
    values taken from ctx are copies."""
    compiled = compile_full(source=ALIASING, filename="aliasing.py")
    with BpfObject(compiled.elf, compiled=compiled) as o:
        A, P = o.structs.Args, o.structs.P
        a = A(n=4, flag=True, p=P(x=10, ok=False, g=[[1, 2, 3], [4, 5, 6]]))
        out = A.from_bytes(o.programs.run.test_run(ctx=a).ctx)
        assert out.r == [5, 5, 12, 12, 1, 14, 14, 77]
        assert out.flag is False
        assert out.p == P(x=0, ok=True, g=[[1, 77, 3], [4, 5, 4]])
        assert out.ps == [P(), P(x=12, ok=True, g=[[0, 0, 0], [0, 0, 3]])]
        stored = P(x=14, ok=True, g=[[1, 2, 3], [4, 5, 4]])
        assert o.maps.store[1] == stored
        assert list(o.maps.by_key.items()) == [(stored, 4)]
        assert o.maps.by_key[stored] == 4
