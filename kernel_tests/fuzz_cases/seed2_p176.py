"""Fuzz campaign seed 2, program 176 (scripts/fuzz.py --seed 2 --first 176 --count 1 --known-issues).

A 6-iteration walked loop computing `tl.p % (ctx.a1 % al.p)`: the zero-divisor tests of each
modulo narrowed the stack slot the divisor was loaded from (a load shares the slot's
identity), differently on each path, so the loop's paths reached its head in states that
never merged: 47,524 processed for an estimate of 848 (1,330 without the modulo).  The
divisor now passes through `y | opaque 0` first (lower/ints.py, _unlinked): 2,595.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p176_Inner:
    p: u64
    q: u8

@struct
class p176_Ctx:
    a0: u8
    a1: u64
    a2: u16
    a3: i8
    o0: i8
    o1: u16
    o2: u8
    arr: i8[3]
    s: p176_Inner

@struct
class p176_Work:
    arr: i8[3]
    s: p176_Inner
    grid: i16[2][3]

p176_hm = HashMap(u32, u64, max_entries=4)
p176_am = Array(u32, 4)
p176_g: i8 = 0

@bpf_function
def p176_g_set(v: i8) -> None:
    global p176_g
    p176_g = p176_g + v

@bpf_function
def p176_mut(s: p176_Inner, v: u64) -> None:
    s.p = s.p | v
    s.q = (u8(v) if bool(i16(v)) else u8(7))

@bpf_function
def p176_cb(i: u32, s: p176_Inner) -> int:
    s.p = s.p ^ u64(i)
    if i >= u32(1):
        return 1
    return 0

@bpf_program("syscall")
def p176_prog(ctx: p176_Ctx) -> int:
    w = p176_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p176_Inner(p=(3 & u64(ctx.a1)), q=(ctx.a0 ^ ctx.a0))
    al = w.s
    fl: bool = i32((-1634080331)) <= i32(ctx.a0)
    for i0 in range(5, -1, -1):
        p176_am[(u32((u8(i32(al.p) != i32(3)) % u8(u32(8)))) % 7)] = u32((i16(w.grid[(u32(u32(i0)) % 2)][(u32(al.p) % 3)]) + i16(i0)))
        r0 = p176_hm.lookup((u32(u32(i0)) % 7))
        if r0 is not None:
            r0.value |= min(((tl.p if (i32(i0) == i32(1) and ctx.o1 != u16(tl.p)) else tl.p) % (ctx.a1 % al.p)), min((u64(i0) ^ ctx.a1), ctx.a1, al.p))
        ctx.o2 -= ctx.a0
    r1 = p176_hm.lookup((u32(i64(tl.p)) % 7))
    if r1 is not None:
        r1.value &= (0 & (tl.p - tl.p))
    tl.p = ctx.a1
    p176_hm[(u32(i32(al.p)) % 7)] -= u64(w.grid[(u32(u32(tl.q)) % 2)][1])
    w.s.q = u8(helpers.loop(0, p176_cb, al))
    p176_g_set((-i8(u64(1) != al.p)))
    v2: i32 = i32(ctx.a2 != u16(tl.q))
    v3: u16 = (u16(4) // u16(65535))
    ctx.arr = w.arr
    pass
    return ((-tl.p) * u64(w.arr[(u32(ctx.a3) % 3)]))

CTXS = [
    {'a0': 255, 'a1': 0, 'a2': 65535, 'a3': -3, 'o0': 3, 'o1': 0, 'o2': 167, 'arr': [2, 107, -3], 's': {'p': 1411805457981556493, 'q': 0}},
    {'a0': 2, 'a1': 2362404238317808817, 'a2': 1, 'a3': 39, 'o0': -128, 'o1': 29202, 'o2': 87, 'arr': [102, 0, -128], 's': {'p': 1, 'q': 255}},
    {'a0': 188, 'a1': 8174736403990161596, 'a2': 65535, 'a3': -1, 'o0': -128, 'o1': 0, 'o2': 200, 'arr': [-128, 1, -1], 's': {'p': 18446744073709551615, 'q': 208}},
    {'a0': 0, 'a1': 0, 'a2': 13608, 'a3': 1, 'o0': 103, 'o1': 65535, 'o2': 2, 'arr': [52, -61, 0], 's': {'p': 0, 'q': 0}},
]
