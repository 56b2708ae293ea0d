"""ebpfpy.testing without a kernel: the simulator against values computed by hand."""
from __future__ import annotations

import textwrap

import pytest

import ebpfpy
from ebpfpy.testing import FakeKernel, Simulator

HEAD = ("from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, LruHashMap, "
        "Array, PerCpuArray, RingBuf, u8, u16, u32, u64, i8, i16, i32, i64\n")


def sim_of(body: str, **kw) -> Simulator:
    return Simulator(source=HEAD + textwrap.dedent(body), filename="t.py", **kw)


ARITH = """
@struct
class A:
    x: i32
    y: i32
    u: u8
    q: i64
    r: i64
    s: u64

@bpf_program("syscall")
def run(ctx: A) -> int:
    ctx.q = i64(ctx.x // ctx.y)
    ctx.r = i64(ctx.x % ctx.y)
    ctx.u = -ctx.u
    ctx.s = u64(1) << u64(ctx.y)
    return ctx.x
"""


@pytest.mark.parametrize("x, y, q, r", [(-7, 2, -4, 1), (7, -2, -4, -1), (-7, -2, 3, -1),
                                        (5, 0, 0, 5), (-2**31, -1, -2**31, 0)])
def test_floor_division_and_modulo(x: int, y: int, q: int, r: int) -> None:
    res = sim_of(ARITH).run("run", ctx={"x": x, "y": y})
    assert (res.value.q, res.value.r) == (q, r)


def test_wrapping_shift_modulo_width_and_retval() -> None:
    sim = sim_of(ARITH)
    res = sim.run("run", ctx={"x": -1, "y": 65, "u": 1})
    assert res.value.u == 255                    # -u8(1)
    assert res.value.s == 2                      # 1 << (65 % 64)
    assert res.retval == 0xFFFFFFFF and res.ret == -1
    assert res.ctx == bytes(res.value) and len(res.ctx) == 40


def test_casts_abs_min_max_and_chains() -> None:
    sim = sim_of("""
        @bpf_function
        def f(a: i8, b: u16) -> i64:
            x = abs(a)
            c: i64 = 0
            if 0 <= b < 10 and not x == 5:
                c = 1
            return i64(x) * 1000 + c + i64(min(b, 7, 9)) * 10 + i64(max(i8(-3), a))
        @bpf_program("syscall")
        def p(ctx) -> int:
            return 0
    """)
    assert sim.call("f", -128, 3) == -128 * 1000 + 1 + 30 - 3      # abs(i8(-128)) == -128
    assert sim.call("f", 5, 3) == 5000 + 0 + 30 + 5
    assert sim.call("f", 300, 70000) == 44 * 1000 + 0 + 70 + 44       # arguments wrap to i8/u16
    assert sim.call("f", -1, 12) == 1000 + 0 + 70 - 1


def test_loops_break_continue_and_bpf_function_by_reference() -> None:
    sim = sim_of("""
        @struct
        class P:
            n: u32
            cells: u8[4]
        @bpf_function
        def bump(p: P, by: u32) -> u32:
            p.n += by
            return p.n
        @bpf_program("syscall")
        def run(ctx: P) -> int:
            q = ctx
            for i in range(10):
                if i == 2:
                    continue
                if i >= 6:
                    break
                for j in range(4):
                    q.cells[j] += 1
                bump(ctx, u32(i))
            return q.n
    """)
    r = sim.run("run", ctx={"n": 100})
    assert r.retval == 100 + 0 + 1 + 3 + 4 + 5
    assert r.value.cells == [5, 5, 5, 5]


def test_struct_copies_on_store_aliases_on_bind() -> None:
    sim = sim_of("""
        @struct
        class P:
            x: u32
        @struct
        class W:
            a: P
            b: P
        @bpf_program("syscall")
        def run(ctx: W) -> int:
            p = P(x=1)
            alias = p
            ctx.a = p          # copy
            p.x = 2
            view = ctx.b       # a reference into ctx
            view.x = alias.x + 40
            return ctx.a.x
    """)
    r = sim.run("run")
    assert r.retval == 1 and r.value.b.x == 42


def test_maps_hash_array_semantics() -> None:
    sim = sim_of("""
        h = HashMap(u32, u64, max_entries=2)
        a = Array(u32, 3)
        @bpf_program("syscall")
        def run(ctx) -> int:
            h[1] += 5
            h[2] = 7
            h[3] = 9                 # full: the update fails
            a[5] = 1                 # beyond max_entries: absent
            a[1] |= 6
            r = a.lookup(2)
            if r is not None:
                r.value = 11
            out = h.get(3, 99) + h[4]
            if 2 in h:
                del h[2]
            del h[42]
            return u32(out) + a[1] * 1000 + u32(5 in a)
    """)
    r = sim.run("run")
    assert r.retval == 99 + 6000
    assert dict(sim.maps.h.items()) == {1: 5}
    assert list(sim.maps.a.values()) == [0, 6, 11] and 5 not in sim.maps.a
    with pytest.raises(KeyError):
        sim.maps.h[2]
    sim.maps.h[2] = 1
    assert len(sim.maps.h) == 2
    with pytest.raises(OverflowError):
        sim.maps.h[3] = 1
    sim.run("run")
    assert sim.maps.h[1] == 10


def test_lookup_is_a_live_reference_to_struct_values() -> None:
    sim = sim_of("""
        @struct
        class V:
            hits: u64
            last: u32
        m = HashMap(u32, V, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            v = m.lookup(7)
            if v is None:
                m[7] = V(hits=1)
                return 0
            v.hits += 1
            copy = m[7]
            copy.last = 99           # a copy: the map keeps 0
            return 1
    """)
    assert [sim.run("run").retval for _ in range(3)] == [0, 1, 1]
    assert sim.maps.m[7].hits == 3 and sim.maps.m[7].last == 0


def test_lru_evicts_and_percpu_gives_one_cpu() -> None:
    sim = sim_of("""
        l = LruHashMap(u32, u32, max_entries=2)
        pc = PerCpuArray(u64, 1)
        @bpf_program("syscall")
        def run(ctx) -> int:
            l[1] = 1
            l[2] = 2
            x = l[1]                 # 1 is now the most recently used
            l[3] = 3                 # evicts 2
            pc[0] += 4
            return x
    """)
    sim.run("run")
    assert sorted(sim.maps.l.keys()) == [1, 3]
    assert sim.maps.pc[0] == [4]


def test_globals_helpers_printk_ringbuf() -> None:
    env = FakeKernel(pid=7, tgid=9, comm=b"sh", time_ns=100, time_step_ns=10)
    sim = sim_of("""
        @struct
        class Ev:
            pid: u32
            t: u64
        events = RingBuf(4096, event=Ev)
        total: u64 = 3
        @bpf_program("syscall")
        def run(ctx) -> int:
            global total
            t0 = helpers.ktime_get_ns()
            t1 = helpers.ktime_get_ns()
            pid = u32(helpers.get_current_pid_tgid() >> 32)
            comm = helpers.get_current_comm()
            total += t1 - t0
            helpers.printk("pid %d comm %c%c", pid, comm[0], comm[1])
            helpers.printk("neg %d %u", i32(-1), i32(-1))
            events.output(Ev(pid=pid, t=t0))
            return i32(helpers.get_prandom_u32() != helpers.get_prandom_u32())
    """, env=env)
    r = sim.run("run")
    assert r.retval == 1
    assert sim.globals.total == 13
    assert sim.printk_lines == ["pid 9 comm sh", f"neg -1 {2**64 - 1}"]
    assert sim.events("events") == [sim.structs.Ev(pid=9, t=100)]
    assert r.events["events"][0].t == 100
    sim.globals.total = 2**64 + 5                 # wraps like the u64 it is
    assert sim.globals.total == 5


def test_helpers_loop_and_bpf_function_call() -> None:
    sim = sim_of("""
        @struct
        class Acc:
            sum: u64
        @bpf_function
        def step(i: u32, acc: Acc) -> int:
            acc.sum += i
            if i == 4:
                return 1
            return 0
        @bpf_program("syscall")
        def run(ctx: Acc) -> int:
            n = helpers.loop(100, step, ctx)
            return i32(n)
    """)
    r = sim.run("run")
    assert r.retval == 5 and r.value.sum == 0 + 1 + 2 + 3 + 4


def test_user_struct_instances_in_and_out(tmp_path, monkeypatch) -> None:
    src = HEAD + textwrap.dedent("""
        @struct
        class Args:
            a: u32
            out: u64
        @bpf_program("syscall")
        def run(ctx: Args) -> int:
            ctx.out = u64(ctx.a) * 3
            return 0
    """)
    path = tmp_path / "prog_args.py"
    path.write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    mod = importlib.import_module("prog_args")
    Args = mod.Args
    sim = Simulator(mod)
    args = Args(a=14)
    r = sim.run("run", ctx=args)
    assert args.out == 42 and r.value == Args(a=14, out=42)
    assert Args.from_bytes(r.ctx) == Args(a=14, out=42)


def test_compile_errors_surface_and_names_are_checked() -> None:
    with pytest.raises(ebpfpy.CompileError):
        sim_of("""
            @bpf_program("syscall")
            def run(ctx) -> int:
                return 1.5
        """)
    sim = sim_of("""
        @bpf_program("syscall")
        def run(ctx) -> int:
            return 0
    """)
    with pytest.raises(KeyError, match="no program named 'nope'"):
        sim.run("nope")
    with pytest.raises(AttributeError, match="no map"):
        sim.maps.counts


def test_perf_output_and_stacks() -> None:
    """PerfEventArray records are kept like ring-buffer ones; get_stackid gives one id per
    distinct stack of ``env.kernel_stack`` / ``env.user_stack``; get_stack copies frames."""
    env = FakeKernel(kernel_stack=[0xFFFFFFFF81000010, 0xFFFFFFFF81000020], user_stack=[0x401000])
    sim = sim_of("""
        from ebpfpy import PerfEventArray, StackTraceMap, BPF_F_USER_STACK
        @struct
        class Ev:
            k: i64
            u: i64
            n: i64
            frames: u64[4]
        events = PerfEventArray(event=Ev)
        stacks = StackTraceMap(2, depth=8)
        @bpf_program("perf_event")
        def run(ctx) -> int:
            e = Ev(k=stacks.get_stackid(ctx, 0), u=stacks.get_stackid(ctx, BPF_F_USER_STACK))
            e.n = helpers.get_stack(ctx, e.frames, 0)
            events.output(ctx, e)
            return 0
    """, env=env)
    sim.run("run")
    sim.run("run")
    e = sim.structs.Ev(k=0, u=1, n=16, frames=[0xFFFFFFFF81000010, 0xFFFFFFFF81000020, 0, 0])
    assert sim.events("events") == [e, e]
    assert sim.maps.stacks[0] == env.kernel_stack and sim.maps.stacks[1] == [0x401000]
    env.user_stack = [0x402000]                  # a third stack: the map (2 entries) is full
    env.kernel_stack = []                        # no kernel stack: -EFAULT, 0 bytes
    r = sim.run("run")
    last = r.events["events"][0]
    assert (last.k, last.u, last.n) == (-14, -17, 0)
