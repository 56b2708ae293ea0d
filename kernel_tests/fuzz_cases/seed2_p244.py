"""Fuzz campaign seed 2, program 244 (scripts/fuzz.py --seed 2 --first 244 --count 1 --known-issues).

An outlined 4-iteration loop whose body walks a 5-iteration loop comparing its variable with
a field of the ctx's stack copy (`u64(i3) != ctx.o1`): the comparison narrowed the stack
slot itself to a constant (a load shares the slot's identity) and made it precise, so each
walk of the bpf_loop callback came back with a new state and never converged; the kernel
refused it, "BPF program is too large" (estimate 19,690).  The callback now reads such a
value through `v | opaque 0` (lower/memory.py, _unlinked), which gives the register an
identity of its own (kernel: 202,181 processed, 10x the estimate: still the cost model's
blind spot, see docs/testing.md).
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p244_Inner:
    p: u16
    q: i64

@struct
class p244_Ctx:
    a0: u64
    a1: u8
    o0: u16
    o1: u64
    o2: i8
    arr: i8[2]
    s: p244_Inner

@struct
class p244_Work:
    arr: i8[2]
    s: p244_Inner
    grid: i16[2][3]

p244_hm = HashMap(u32, u16, max_entries=4)
p244_am = Array(u8, 4)
p244_g: i16 = 0

@bpf_function
def p244_g_set(v: i16) -> None:
    global p244_g
    p244_g = p244_g + v

@bpf_function
def p244_f0(x0: i8, x1: u32) -> i64:
    p244_g_set(i16(x0))
    for i0 in range(1, 3):
        x0 = i8(i0)
    p244_am[u32(7)] = u8(x1)
    return i64(9223372036854775807)

@bpf_function
def p244_mut(s: p244_Inner, v: u16) -> None:
    s.p = s.p ^ v
    s.q = i64(v)

@bpf_function
def p244_cb(i: u32, s: p244_Inner) -> int:
    s.p = s.p ^ u16(i)
    if i >= u32(1):
        return 1
    return 0

@bpf_program("syscall")
def p244_prog(ctx: p244_Ctx) -> int:
    w = p244_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p244_Inner(p=u16(3972), q=i64(ctx.a1))
    al = w.s
    fl: bool = ctx.a0 != 0
    p244_g_set((i16(p244_f0(ctx.o2, u32(al.p))) // (-4)))
    r0 = p244_am.lookup(u32(3))
    if r0 is not None:
        r0.value += u8(p244_g)
    v1: i64 = (~(i64(i16(al.q)) | (9223372036854775807 ^ tl.q)))
    w.arr[-2] = i8(p244_g)
    ctx.s.p = al.p
    for i1 in range(-2, 2):
        if not (u16(i1) == u16(32768)):
            for i2 in range(1, 6):
                r2 = p244_am.lookup((u32(ctx.o2) % 7))
                if r2 is not None:
                    r2.value ^= u8(helpers.loop(1, p244_cb, w.s))
        elif not (i32(i1) != 0):
            p244_mut(w.s, (-u16(0)))
            del p244_hm[(u32(u64(i1)) % 7)]
        elif u32(w.s.p) < u32(ctx.s.p):
            if (u32(i16(i1)) % 7) not in p244_hm:
                continue
            r3 = p244_am.lookup((u32((8 & i32(p244_am[(u32(i32(tl.p)) % 7)]))) % 7))
            if r3 is not None:
                r3.value ^= ctx.a1
        for i3 in range(5):
            p244_am[u32(3)] += (ctx.a1 ^ ctx.a1)
            v1 += (al.q % 2)
            p244_g_set(i16(p244_g))
            p244_hm[(u32((i32(i1) ^ 0)) % 7)] -= (u16(p244_f0(ctx.o2, u32(i3))) if u64(i3) != ctx.o1 else (u16(ctx.o0) & tl.p))
    for i4 in range(3, 4):
        r4 = p244_am.lookup((u32(u32(2147483648)) % 7))
        if r4 is not None:
            r4.value |= (ctx.a1 >> u8(i4))
        al.p %= min(u16(helpers.loop(3, p244_cb, w.s)), (ctx.o0 ^ 65535))
        al.p = (u16(32768) if i64(i4) == v1 else u16(i4))
    p244_am[(u32(u64(5)) % 7)] |= u8(p244_f0(ctx.o2, u32(al.p)))
    pass
    pass
    return u32(w.arr[(i8(ctx.o1) & 1)])

CTXS = [
    {'a0': 6802784188078900271, 'a1': 0, 'o0': 0, 'o1': 6674272124689674226, 'o2': 1, 'arr': [0, -128], 's': {'p': 19500, 'q': 3}},
    {'a0': 0, 'a1': 255, 'o0': 18733, 'o1': 18446744073709551615, 'o2': 0, 'arr': [-58, 1], 's': {'p': 0, 'q': -2257012235698595022}},
    {'a0': 18446744073709551615, 'a1': 1, 'o0': 0, 'o1': 0, 'o2': 3, 'arr': [0, 127], 's': {'p': 65535, 'q': -2}},
    {'a0': 12106874225637000648, 'a1': 2, 'o0': 0, 'o1': 1, 'o2': -33, 'arr': [-3, -115], 's': {'p': 0, 'q': -7807699933307485297}},
]
