"""LANGUAGE.md §1 and §7 as written, on a real kernel.

§1: a BPF module is a Python file — read with ``ast``, never executed; only BPF items take part;
every public name imports from the top level; no ``@bpf_program`` is "nothing to compile".
§7: the userspace API block line by line — compile, the three ways to load, programs by
attribute and key, ``test_run`` results, attach/detach, the dict API of maps (per-CPU lists),
``ProgArray`` filling, ring-buffer ``poll``, globals, struct semantics, ``CompileError`` fields.
(§5, maps in BPF code, is in ``test_contract.py``.)
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import libbpf as L

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SOURCE = textwrap.dedent('''
    from ebpfpy import (bpf_program, struct, Array, HashMap, PerCpuArray, PerCpuHashMap,
                        RingBuf, ProgArray, helpers, u8, u16, u32, u64, XDP_PASS, XDP_DROP,
                        XDP_TX, XDP_ABORTED)

    @struct
    class Args:
        n: u32
        out: u32

    @struct
    class P:
        x: u32
        y: u32

    @struct
    class Grid:
        name: u8[8]
        cells: u16[2][3]
        origin: P

    @struct
    class Hdr:
        a: u8
        b: u8

    counts = HashMap(u32, u64, 16)
    points = HashMap(P, P, 16)
    grids = Array(Grid, 2)
    percpu = PerCpuArray(u64, 2)
    percpu_h = PerCpuHashMap(u32, u64, 8)
    events = RingBuf(4096, event=P)
    progs = ProgArray(2)
    total: u64 = 0
    getpids: u64 = 0
    me: u32 = 0

    @bpf_program("syscall")
    def step(ctx: Args) -> int:
        global total
        ctx.out = ctx.n * 2
        total += ctx.n
        counts[ctx.n] += 1
        percpu[0] += 1
        percpu_h[ctx.n] += 1
        points[P(x=ctx.n, y=1)] = P(x=ctx.n * 3, y=2)
        events.output(P(x=ctx.n, y=u32(total)))
        return 7

    @bpf_program("syscall")
    def read_grid(ctx: Args) -> int:
        g = grids.lookup(ctx.n)
        if g is None:
            return 0
        ctx.out = u32(g.cells[1][2]) + u32(g.name[0]) + g.origin.y
        return 1

    @bpf_program("syscall")
    def read_total(ctx: Args) -> int:
        ctx.out = u32(total)
        return 0

    @bpf_program("xdp")
    def rewrite(ctx) -> int:
        h = ctx.load(Hdr, 0)
        if h is None:
            return XDP_ABORTED
        h.a = h.b
        return XDP_TX

    @bpf_program("xdp")
    def handler(ctx) -> int:
        return XDP_DROP

    @bpf_program("tracepoint/syscalls/sys_enter_getpid")
    def on_getpid(ctx) -> int:
        global getpids
        if u32(helpers.get_current_pid_tgid() >> 32) == me:
            getpids += 1
        return 0
''')

PACKET = bytes(range(1, 61))


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


@pytest.fixture(scope="module")
def mod_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("contract") / "contract_api.py"
    path.write_text(SOURCE)
    return path


@pytest.fixture(scope="module")
def user_module(mod_path):
    """The BPF module imported under CPython, as a user would ``import`` it."""
    spec = importlib.util.spec_from_file_location("contract_api", mod_path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["contract_api"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("contract_api", None)


@pytest.fixture
def obj(mod_path):
    with ebpfpy.load(str(mod_path)) as o:
        yield o


_libc = ctypes.CDLL(None, use_errno=True)


def possible_cpus() -> int:
    """The kernel's possible CPUs ("0-3,8-11"): per-CPU maps hold one value for each."""
    text = Path("/sys/devices/system/cpu/possible").read_text().strip()
    return max(int(part.split("-")[-1]) for part in text.split(",")) + 1


def getpid_syscalls(n: int) -> None:
    for _ in range(n):
        _libc.syscall(39)           # SYS_getpid on x86_64; glibc may cache getpid()


# ====================================================================== §1
def test_s1_the_example_is_the_file_in_examples() -> None:
    """§1's code block is ``examples/count_opens.py`` character for character."""
    doc = Path("/work/shared/LANGUAGE.md")
    if not doc.exists():
        pytest.skip("LANGUAGE.md is not beside the tree here")
    block = re.search(r"```python\n(# examples/count_opens.py\n.*?)```", doc.read_text(), re.S)
    assert block and (EXAMPLES / "count_opens.py").read_text() == block[1]


def test_s1_the_module_imports_and_runs_under_cpython() -> None:
    spec = importlib.util.spec_from_file_location("count_opens", EXAMPLES / "count_opens.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)            # __name__ != "__main__": only the declarations
    assert isinstance(mod.counts, ebpfpy.HashMap)
    assert mod.on_open.__bpf_section__ == "tracepoint/syscalls/sys_enter_openat"


def test_s1_count_opens_counts_this_process(tracefs) -> None:
    with ebpfpy.load(str(EXAMPLES / "count_opens.py")) as obj:
        obj.programs.on_open.attach()
        for _ in range(5):
            os.close(os.open(__file__, os.O_RDONLY))
        assert obj.maps.counts[os.getpid()] >= 5
        assert all(n > 0 for _, n in obj.maps.counts.items())


def test_s1_the_compiler_never_executes_the_file(tmp_path) -> None:
    src = textwrap.dedent('''
        import os
        from ebpfpy import bpf_program, XDP_PASS
        os.mkdir(os.path.join(os.path.dirname(__file__), "EXECUTED"))
        raise SystemExit("the compiler ran me")

        def helper_in_python(x):
            return x * 2

        class NotAStruct:
            pass

        @bpf_program("xdp")
        def ok(ctx) -> int:
            return XDP_PASS
    ''')
    path = tmp_path / "noexec.py"
    path.write_text(src)
    elf = ebpfpy.compile(str(path))
    assert elf[:4] == b"\x7fELF" and not (tmp_path / "EXECUTED").exists()
    with ebpfpy.load(str(path)) as obj:
        assert obj.programs.ok.test_run(data=PACKET).retval == ebpfpy.XDP_PASS


def test_s1_bpf_code_using_an_ignored_item_is_a_compile_error() -> None:
    src = textwrap.dedent('''
        from ebpfpy import bpf_program

        def helper_in_python(x):
            return x * 2

        @bpf_program("xdp")
        def uses(ctx) -> int:
            return helper_in_python(2)
    ''')
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=src, filename="uses.py")
    e = ei.value
    assert (e.filename, e.lineno) == ("uses.py", 9)
    assert "helper_in_python" in e.message


def test_s1_public_names_from_the_top_level() -> None:
    src = textwrap.dedent('''
        import ebpfpy as bpf

        hits = bpf.Array(bpf.u64, 2)

        @bpf.bpf_program("xdp")
        def prog(ctx) -> int:
            hits[0] += 1
            hits[1] = bpf.helpers.ktime_get_ns()
            x = bpf.u32(7)
            if x == 7:
                return bpf.XDP_PASS
            return bpf.XDP_DROP
    ''')
    with ebpfpy.load(ebpfpy.compile(source=src, filename="alias.py")) as obj:
        assert obj.programs.prog.test_run(data=PACKET).retval == ebpfpy.XDP_PASS
        assert obj.maps.hits[0] == 1 and obj.maps.hits[1] > 0
    for name in ebpfpy.__all__:
        assert getattr(ebpfpy, name) is not None
    assert ebpfpy.Timer is not None and callable(ebpfpy.helpers.ktime_get_ns)


def test_s1_a_file_without_bpf_program_is_nothing_to_compile() -> None:
    src = "from ebpfpy import HashMap, u32\ncounts = HashMap(u32, u32, 4)\n"
    with pytest.raises(ebpfpy.CompileError, match="nothing to compile"):
        ebpfpy.compile(source=src, filename="empty.py")


# ====================================================================== §7: compile, load
def test_s7_compile_a_path_or_source(mod_path) -> None:
    elf = ebpfpy.compile(str(mod_path))
    assert isinstance(elf, bytes) and elf[:4] == b"\x7fELF"
    assert ebpfpy.compile(mod_path) == elf
    assert ebpfpy.compile(source=SOURCE, filename=str(mod_path)) == elf


def test_s7_load_a_path(mod_path) -> None:
    with ebpfpy.load(str(mod_path)) as obj:
        r = obj.programs.step.test_run(ctx=obj.structs.Args(n=3))
        assert (r.retval, obj.structs.Args.from_bytes(r.ctx).out) == (7, 6)
    assert obj.closed


def test_s7_load_a_module_uses_its_own_struct_classes(user_module) -> None:
    P, Args = user_module.P, user_module.Args
    with ebpfpy.load(user_module) as obj:
        assert obj.structs.P is P
        r = obj.programs.step.test_run(ctx=Args(n=4))
        assert Args.from_bytes(r.ctx) == Args(n=4, out=8)
        (k, v), = obj.maps.points.items()
        assert type(k) is P and type(v) is P
        assert (k, v) == (P(x=4, y=1), P(x=12, y=2))
        assert obj.maps.points[P(x=4, y=1)] == P(x=12, y=2)


def test_s7_load_elf_bytes_generates_struct_classes_from_btf(mod_path, user_module) -> None:
    elf = ebpfpy.compile(str(mod_path))
    with ebpfpy.load(elf) as obj:
        Args, P = obj.structs.Args, obj.structs.P
        assert P is not user_module.P
        r = obj.programs.step.test_run(ctx=Args(n=5))
        assert Args.from_bytes(r.ctx).out == 10
        assert obj.maps.points[P(x=5, y=1)] == P(x=15, y=2)
        assert obj.maps.points[P(x=5, y=1)] == user_module.P(x=15, y=2)   # by name and fields
        assert obj.maps.points[user_module.P(x=5, y=1)] == P(x=15, y=2)


def test_s7_programs_by_attribute_and_by_key(obj) -> None:
    assert obj.programs.step is obj.programs["step"]
    assert obj.programs.step.name == "step"
    assert {"step", "read_grid", "rewrite", "handler", "on_getpid"} <= set(obj.programs)
    with pytest.raises((KeyError, AttributeError)):
        obj.programs["nope"]


# ====================================================================== §7: test_run
def test_s7_test_run_syscall_result_fields(obj) -> None:
    Args = obj.structs.Args
    r = obj.programs.step.test_run(ctx=Args(n=3))
    assert r.retval == 7
    assert isinstance(r.ctx, bytes) and Args.from_bytes(r.ctx) == Args(n=3, out=6)
    assert r.data is None and r.duration_ns is None
    r = obj.programs.step.test_run(ctx=bytes(Args(n=11)))          # ctx as bytes
    assert Args.from_bytes(r.ctx).out == 22
    with pytest.raises(ValueError):
        obj.programs.step.test_run(ctx=Args(n=1), repeat=2)
    assert obj.maps.counts[3] == 1                                  # the refused run ran nothing


def test_s7_test_run_xdp_data_and_repeat(obj) -> None:
    r = obj.programs.rewrite.test_run(data=PACKET)
    assert r.retval == ebpfpy.XDP_TX
    assert r.data == bytes([PACKET[1]]) + PACKET[1:]           # the program wrote the packet
    assert isinstance(r.duration_ns, int) and r.duration_ns >= 0
    r = obj.programs.handler.test_run(data=PACKET, repeat=100)
    assert r.retval == ebpfpy.XDP_DROP and r.data == PACKET
    assert isinstance(r.duration_ns, int)


# ====================================================================== §7: attach
def test_s7_attach_and_detach_a_tracepoint(obj, tracefs) -> None:
    obj.globals.me = os.getpid()
    link = obj.programs.on_getpid.attach()
    getpid_syscalls(10)
    link.detach()
    seen = obj.globals.getpids
    assert seen >= 10
    getpid_syscalls(10)
    assert obj.globals.getpids == seen
    with obj.programs.on_getpid.attach():                        # links are context managers
        getpid_syscalls(3)
    getpid_syscalls(3)
    assert obj.globals.getpids == seen + 3


def test_s7_attach_xdp_to_an_interface(obj, netns_veth) -> None:
    with obj.programs.handler.attach(iface=netns_veth.host) as link:
        assert link is not None
    link = obj.programs.handler.attach(iface=netns_veth.host)
    link.detach()


# ====================================================================== §7: maps
def test_s7_maps_follow_dict(obj) -> None:
    m = obj.maps.counts
    assert m is obj.maps["counts"]
    with pytest.raises(KeyError):
        m[1]
    with pytest.raises(KeyError):
        del m[1]
    m[1] = 10
    m[2] = 20
    assert m[1] == 10 and 1 in m and 3 not in m
    assert m.get(1, 99) == 10 and m.get(3, 99) == 99 and m.get(3) is None
    assert len(m) == 2
    assert sorted(m.items()) == [(1, 10), (2, 20)]
    assert sorted(m.keys()) == [1, 2] and sorted(m.values()) == [10, 20]
    del m[1]
    assert 1 not in m and len(m) == 1
    obj.programs.step.test_run(ctx=obj.structs.Args(n=2))          # the kernel's += sees it
    assert m[2] == 21


def test_s7_arrays_have_max_entries_keys(obj) -> None:
    g = obj.maps.grids
    assert len(g) == 2 and sorted(g.keys()) == [0, 1]
    assert g[0] == obj.structs.Grid()
    with pytest.raises(KeyError):
        g[2]


def test_s7_per_cpu_maps_give_lists(obj) -> None:
    ncpu = possible_cpus()
    obj.programs.step.test_run(ctx=obj.structs.Args(n=1))
    vals = obj.maps.percpu[0]
    assert isinstance(vals, list) and len(vals) == ncpu and sum(vals) == 1
    assert sum(obj.maps.percpu_h[1]) == 1
    obj.maps.percpu[1] = 5                                          # one value: every CPU
    assert obj.maps.percpu[1] == [5] * ncpu
    obj.maps.percpu[1] = list(range(ncpu))
    assert obj.maps.percpu[1] == list(range(ncpu))
    obj.maps.percpu_h[9] = 3
    assert obj.maps.percpu_h[9] == [3] * ncpu and 9 in obj.maps.percpu_h


def test_s7_filling_a_prog_array(obj) -> None:
    obj.maps.progs[0] = obj.programs.handler
    assert 0 in obj.maps.progs and 1 not in obj.maps.progs


def test_s7_ring_buffer_poll(obj) -> None:
    P = obj.structs.P
    for n in (1, 2):
        obj.programs.step.test_run(ctx=obj.structs.Args(n=n))
    got = [ev for ev in obj.maps.events.poll(timeout=1.0)]
    assert got == [P(x=1, y=1), P(x=2, y=3)]


def test_s7_globals_seen_by_the_kernel(obj) -> None:
    assert obj.globals.total == 0
    obj.globals.total = 5
    r = obj.programs.read_total.test_run(ctx=obj.structs.Args())
    assert obj.structs.Args.from_bytes(r.ctx).out == 5
    obj.programs.step.test_run(ctx=obj.structs.Args(n=3))
    assert obj.globals.total == 8


# ====================================================================== §7: structs
def test_s7_struct_semantics(obj, user_module) -> None:
    P, Grid = user_module.P, user_module.Grid
    assert P() == P(x=0, y=0)
    p = P(x=1)
    assert (p.x, p.y) == (1, 0)
    assert bytes(p) == (1).to_bytes(4, sys.byteorder) + bytes(4)
    assert P.from_bytes(bytes(P(x=3, y=4))) == P(x=3, y=4)
    assert repr(P(x=1, y=2)) == "P(x=1, y=2)"
    assert P(x=1) == obj.structs.P(x=1) and P(x=1) != P(x=2)
    assert P(x=1) != user_module.Args(n=1)                          # another struct name
    g = Grid()
    assert g.name == [0] * 8 and g.cells == [[0, 0, 0], [0, 0, 0]] and g.origin == P()
    g = Grid(name=b"abc", cells=[[1, 2, 3], [4, 5, 6]], origin=P(x=1, y=9))
    assert g.name == [97, 98, 99, 0, 0, 0, 0, 0]                     # u8 arrays accept bytes
    assert Grid.from_bytes(bytes(g)) == g
    assert "Grid(" in repr(g) and "cells=[[1, 2, 3], [4, 5, 6]]" in repr(g)
    with pytest.raises(TypeError):
        P(z=1)


def test_s7_struct_values_reach_the_kernel(user_module) -> None:
    Grid, P, Args = user_module.Grid, user_module.P, user_module.Args
    with ebpfpy.load(user_module) as obj:
        obj.maps.grids[1] = Grid(name=b"A", cells=[[0, 0, 0], [0, 0, 300]], origin=P(y=7))
        r = obj.programs.read_grid.test_run(ctx=Args(n=1))
        assert r.retval == 1 and Args.from_bytes(r.ctx).out == 300 + 65 + 7
        assert obj.maps.grids[1].cells == [[0, 0, 0], [0, 0, 300]]


# ====================================================================== §7: errors
BAD = textwrap.dedent('''
    from ebpfpy import bpf_program, HashMap, u32

    m = HashMap(u32, u32, 4)

    @bpf_program("syscall")
    def bad(ctx) -> int:
        r = m.lookup(1)
        x = r.value
        while x:
            x -= 1
        return 0
''')


def test_s7_compile_error_fields() -> None:
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=BAD, filename="bad.py")
    e = ei.value
    assert len(e.errors) >= 2                                # every error found
    first = e.errors[0]
    assert (e.filename, e.lineno, e.col_offset, e.message, e.code) == \
        (first.filename, first.lineno, first.col_offset, first.message, first.code)
    assert e.filename == "bad.py" and e.lineno == 9
    assert e.col_offset == BAD.splitlines()[8].index("r.value")   # 0-based, as in ast
    assert e.code and e.message
    lines = [err.lineno for err in e.errors]
    assert 10 in lines                                       # the while loop, too
    text = str(e)
    head = text.splitlines()[0]
    assert re.match(rf"bad\.py:9:{e.col_offset + 1}: error(\[{e.code}\])?: ", head), head
    assert "x = r.value" in text and "^" in text and "note:" in text
    assert "ebpfpy/" not in text                             # nothing about compiler files


def test_s7_compile_error_is_an_exception_with_each_error_complete() -> None:
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=BAD, filename="bad.py")
    for err in ei.value.errors:
        assert err.filename == "bad.py" and err.lineno > 0 and err.col_offset >= 0
        assert err.code and err.message
