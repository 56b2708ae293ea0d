"""Mismatches and failures the differential fuzzer found, kept as kernel-vs-simulator tests."""
from __future__ import annotations

import textwrap

from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject
from ebpfpy.testing import Simulator
from ebpfpy.testing.values import from_user, pack

HEAD = "from ebpfpy import bpf_program, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64\n"


def agree(src: str, prog: str, ctxs: list[dict], maps: list[str]) -> None:
    """Run ``prog`` on each ctx in both worlds; retval, ctx and maps must agree every time."""
    src = HEAD + textwrap.dedent(src)
    compiled = compile_full(source=src, filename="reg.py")
    sim = Simulator(source=src, filename="reg.py")
    ctx_t = sim.checked.funcs[prog].ctx_type
    with BpfObject(compiled.elf, compiled=compiled) as obj:
        for ctx in ctxs:
            k = obj.programs[prog].test_run(ctx=pack(ctx_t, from_user(ctx_t, ctx)))
            s = sim.run(prog, ctx=ctx)
            assert (k.retval, k.ctx) == (s.retval, s.ctx)
            for m in maps:
                assert dict(obj.maps[m].items()) == dict(sim.maps[m].items()), m


def test_get_default_scalar() -> None:
    agree("""
        @struct
        class A:
            k: u32
            d: i16
        h = HashMap(u32, u64, max_entries=4)
        @bpf_program("syscall")
        def run(ctx: A) -> int:
            if ctx.k == 3:
                h[3] = 11
            return i32(h.get(ctx.k, 7)) + i32(h.get(ctx.k & 1, u64(5)))
    """, "run", [{"k": 1, "d": 0}, {"k": 3, "d": 0}, {"k": 3, "d": 0}], ["h"])


def test_aug_narrow_map_values() -> None:
    agree("""
        @struct
        class A:
            v: u8
            w: i16
        h = HashMap(u32, u8, max_entries=4)
        a = Array(i16, 4)
        @bpf_program("syscall")
        def run(ctx: A) -> int:
            h[1] += ctx.v
            h[2] -= ctx.v
            h[u32(ctx.v) % 5] |= 1
            a[1] += ctx.w
            a[2] ^= ctx.w
            a[7] += 1
            return 0
    """, "run", [{"v": 200, "w": -3}, {"v": 100, "w": 32767}, {"v": 0, "w": 2}], ["h", "a"])


def test_two_not_in_tests_combined() -> None:
    """``k not in a & k not in h`` was folded into (p1 | p2) == 0: "pointer |= pointer"."""
    agree("""
        @struct
        class A:
            k: u32
            out: i32
        h = HashMap(u32, u32, max_entries=4)
        a = Array(u32, 4)
        @bpf_program("syscall")
        def run(ctx: A) -> int:
            if ctx.k == 9:
                h[9] = 1
            ctx.out = i32(ctx.k not in a) & i32(ctx.k not in h)
            return i32(not (ctx.k in a or ctx.k in h))
    """, "run", [{"k": 1}, {"k": 5}, {"k": 9}], ["h"])
