"""Differential edge cases of LANGUAGE.md §3 that random generation does not reach well.

Literal typing, constant divisors and shift counts, implicit widening on assignment, range
loop variables adapting to unsigned operands, constant-only ternary arms, ``int``/``bool``
casts, and the evaluation order of chains and ``and``/``or`` (each operand once,
short-circuiting), observed through a ``@bpf_function`` that counts its calls.
Each case states its expected value as Python computes it under the contract.
"""
from __future__ import annotations

import textwrap

import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy import libbpf as L
from ebpfpy.loader.object import BpfObject
from ebpfpy.types import i8, i16, i32, i64, u8, u16, u32, u64

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, bpf_function, struct, u8, u16, u32, u64, i8, i16, i32, i64

    LIMIT = 1 << 70 >> 66          # folds exactly beyond 64 bits: 16
    NEG = -128

    @struct
    class Args:
        x8: u8
        s8: i8
        x16: u16
        s16: i16
        x32: u32
        s32: i32
        x64: u64
        s64: i64
        n: i32
        calls: u32
        w_i64: i64
        w_u64: u64
        w_i16: i16
        w_u32: u32
        lit: i64[12]
        shf: i64[8]
        cdv: i64[8]
        loop_u: u64[6]
        loop_s: i64[6]
        tern: u8[4]
        cast: i64[6]
        order: u32[8]

    calls: u32 = 0

    @bpf_function
    def seen(v: i32) -> i32:
        global calls
        calls += 1
        return v

    @bpf_program("syscall")
    def run(ctx: Args) -> int:
        global calls
        calls = 0
        # literals take the other operand's type and must fit it
        ctx.lit[0] = i64(ctx.x8 + 255)
        ctx.lit[1] = i64(ctx.s8 + NEG)
        ctx.lit[2] = i64(200 - ctx.x8)
        ctx.lit[3] = i64(ctx.x16 * 65535)
        ctx.lit[4] = i64(ctx.s32 - 2147483647)
        ctx.lit[5] = i64(ctx.x32 ^ 4294967295)
        ctx.lit[6] = i64(ctx.x64 + 18446744073709551615)
        ctx.lit[7] = i64(ctx.s8 * LIMIT)
        ctx.lit[8] = i64(-ctx.x8)
        ctx.lit[9] = i64(~ctx.x16)
        ctx.lit[10] = i64(abs(ctx.s16))
        ctx.lit[11] = 3 * 7 - 100
        # constant shift counts at the edges of [0, width)
        ctx.shf[0] = i64(ctx.x8 << 7)
        ctx.shf[1] = i64(ctx.s8 >> 7)
        ctx.shf[2] = i64(ctx.x32 >> 31)
        ctx.shf[3] = ctx.s64 >> 63
        ctx.shf[4] = i64(ctx.x64 << 63)
        ctx.shf[5] = ctx.s64 << 0
        ctx.shf[6] = i64(ctx.s16 >> ctx.n)
        ctx.shf[7] = i64(ctx.x16 << ctx.x64)
        # constant divisors: -1 (MIN // -1 == MIN), 0 (x // 0 == 0, x % 0 == x), negative
        ctx.cdv[0] = i64(ctx.s8 // -1)
        ctx.cdv[1] = i64(ctx.s32 % -1)
        ctx.cdv[2] = i64(ctx.s16 // 0)
        ctx.cdv[3] = i64(ctx.s16 % 0)
        ctx.cdv[4] = i64(ctx.s32 // -7)
        ctx.cdv[5] = i64(ctx.s32 % -7)
        ctx.cdv[6] = i64(ctx.x64 // 3)
        ctx.cdv[7] = ctx.s64 % 10
        # implicit widening on assignment (every value kept)
        ctx.w_i64 = ctx.s8
        ctx.w_u64 = ctx.x32
        ctx.w_i16 = ctx.x8
        wide: u32 = ctx.x16
        ctx.w_u32 = wide
        # range variables: non-negative bounds adapt to unsigned operands
        for i in range(6):
            ctx.loop_u[i] = ctx.x64 - i
        for j in range(-3, 3):
            ctx.loop_s[j + 3] = ctx.s64 * j
        # constant-only arms take the destination's type
        ctx.tern[0] = 200 if ctx.s8 < 0 else 3
        ctx.tern[1] = 255 if ctx.x8 else 0
        ctx.tern[2] = u8(ctx.x8 < 10 if ctx.s8 else ctx.x8 > 250)
        ctx.tern[3] = u8(bool(ctx.s32))
        # casts
        ctx.cast[0] = int(ctx.x64)
        ctx.cast[1] = i64(u8(ctx.s16))
        ctx.cast[2] = i64(i8(ctx.x16))
        ctx.cast[3] = i64(u32(ctx.s8))
        ctx.cast[4] = i64(u16(ctx.s8 < ctx.s16 <= ctx.s32))
        ctx.cast[5] = i64(u64(not ctx.s8 < 0))
        # evaluation order: each chain operand once, short-circuits as in Python
        calls = 0
        ctx.order[0] = u32(0 <= seen(ctx.n) < 10)
        ctx.order[1] = calls
        calls = 0
        ctx.order[2] = u32(ctx.s32 > 0 > seen(ctx.n) > -5)
        ctx.order[3] = calls
        calls = 0
        if ctx.s8 < 0 and seen(ctx.n) > 0:
            ctx.order[4] = 1
        ctx.order[5] = calls
        calls = 0
        if ctx.s8 < 0 or seen(ctx.n) > 0 or seen(1) > 0:
            ctx.order[6] = 1
        ctx.order[7] = calls
        ctx.calls = calls
        return 0
''')

INPUTS = [
    dict(x8=0, s8=0, x16=0, s16=0, x32=0, s32=0, x64=0, s64=0, n=0),
    dict(x8=1, s8=-1, x16=1, s16=-1, x32=1, s32=-1, x64=1, s64=-1, n=3),
    dict(x8=255, s8=-128, x16=65535, s16=-32768, x32=2**32 - 1, s32=-2**31, x64=2**64 - 1,
         s64=-2**63, n=-1),
    dict(x8=127, s8=127, x16=32767, s16=32767, x32=2**31, s32=2**31 - 1, x64=2**63,
         s64=2**63 - 1, n=17),
    dict(x8=9, s8=-7, x16=300, s16=-7, x32=123456789, s32=-7, x64=10**19, s64=-10**18, n=9),
    dict(x8=251, s8=5, x16=7, s16=100, x32=5, s32=7, x64=5, s64=7, n=-10),
]


def expected(a: dict) -> dict:
    """Every output, computed by CPython with the contract's rules."""
    x8, s8, x16, s16, x32, s32, x64, s64, n = (a[k] for k in
                                                ("x8", "s8", "x16", "s16", "x32", "s32", "x64", "s64", "n"))
    lit = [u8.wrap(x8 + 255), i8.wrap(s8 - 128), u8.wrap(200 - x8), u16.wrap(x16 * 65535),
           i32.wrap(s32 - 2147483647), u32.wrap(x32 ^ 4294967295), i64.wrap(u64.wrap(x64 - 1)),
           i8.wrap(s8 * 16), u8.wrap(-x8), u16.wrap(~x16), i16.wrap(abs(s16)), -79]
    shf = [u8.shl(x8, 7), i8.shr(s8, 7), u32.shr(x32, 31), i64.shr(s64, 63),
           i64.wrap(u64.shl(x64, 63)), s64, i16.shr(s16, n), u16.shl(x16, x64)]
    cdv = [i8.floordiv(s8, -1), i32.mod(s32, -1), i16.floordiv(s16, 0), i16.mod(s16, 0),
           i32.floordiv(s32, -7), i32.mod(s32, -7), i64.wrap(u64.floordiv(x64, 3)), i64.mod(s64, 10)]
    cond01 = s8 < s16 <= s32
    inrange = 0 <= n < 10
    o2 = s32 > 0 > n > -5
    o2calls = 1 if s32 > 0 else 0
    o4 = 1 if (s8 < 0 and n > 0) else 0
    o5 = 1 if s8 < 0 else 0
    o6 = 1 if (s8 < 0 or n > 0 or 1 > 0) else 0
    o7 = 0 if s8 < 0 else (1 if n > 0 else 2)
    return dict(
        lit=lit, shf=shf, cdv=cdv,
        w_i64=s8, w_u64=x32, w_i16=x8, w_u32=x16,
        loop_u=[u64.wrap(x64 - i) for i in range(6)],
        loop_s=[i64.wrap(s64 * j) for j in range(-3, 3)],
        tern=[200 if s8 < 0 else 3, 255 if x8 else 0, int((x8 < 10) if s8 else (x8 > 250)),
              int(s32 != 0)],
        cast=[i64.wrap(x64), u8.wrap(s16), i8.wrap(x16), u32.wrap(s8), int(cond01), int(not s8 < 0)],
        order=[int(inrange), 1, int(o2), o2calls, o4, o5, o6, o7],
        calls=o7,
    )


@pytest.fixture(autouse=True)
def _btf_kept():
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


@pytest.fixture(scope="module")
def obj():
    compiled = compile_full(source=SOURCE, filename="edges.py")
    with BpfObject(compiled.elf, compiled=compiled) as o:
        yield o


@pytest.mark.parametrize("inputs", INPUTS, ids=lambda a: f"x8={a['x8']},s8={a['s8']},n={a['n']}")
def test_edge_cases_agree_with_cpython(obj, inputs: dict) -> None:
    Args = obj.structs.Args
    r = obj.programs.run.test_run(ctx=Args(**inputs))
    assert r.retval == 0
    out = Args.from_bytes(r.ctx)
    want = expected(inputs)
    diffs = {k: (v, getattr(out, k)) for k, v in want.items() if getattr(out, k) != v}
    assert not diffs, "\n".join(f"{k}: expected {w}, kernel {g}" for k, (w, g) in diffs.items())


@pytest.mark.parametrize("stmt, code_fragment", [
    ("ctx.x8 = ctx.x8 + 300", "does not fit u8"),
    ("ctx.s8 = ctx.s8 - 129", "does not fit i8"),
    ("ctx.x32 = ctx.x32 << 32", None),
    ("ctx.s64 = ctx.s64 >> -1", None),
    ("ctx.x32 = ctx.x32 + ctx.s32", "u32(ctx.s32)"),
    ("ctx.s8 = ctx.s16", None),
    ("ctx.x8 = u8(ctx.s8 and ctx.x8)", None),
])
def test_contract_errors(stmt: str, code_fragment: str | None) -> None:
    """What §3 calls a compile error is one, at the offending line."""
    src = textwrap.dedent('''
        from ebpfpy import bpf_program, struct, u8, u32, u64, i8, i16, i32, i64
        @struct
        class Args:
            x8: u8
            s8: i8
            s16: i16
            x32: u32
            s32: i32
            s64: i64
        @bpf_program("syscall")
        def run(ctx: Args) -> int:
            STMT
            return 0
    ''').replace("STMT", stmt)
    with pytest.raises(ebpfpy.CompileError) as ei:
        ebpfpy.compile(source=src, filename="bad.py", stop_after="check")
    err = ei.value
    assert err.lineno == 13, str(err)       # the STMT line
    if code_fragment:
        assert code_fragment in str(err)
