"""Fuzz campaign seed 3, program 3642 (scripts/fuzz.py --seed 3 --first 3642 --count 1 --known-issues).

A 3-iteration walked loop whose if/elif/else sets fields of stack structs on each side (`al.q`,
`w.s.p`, `tl.q`, the ctx's stack copy): the paths reach the next iteration in states that do
not merge, but the cost estimate counted such an `if` as one path (only assignments to plain
locals counted), 89,237, and kept the loop walked; the kernel refused it, "BPF program is too
large".  A store into a struct on the stack now counts as setting a local (frontend/cost.py,
_sets_locals): the loop is outlined, and its callback settles what it writes (lower/settle.py).
(Kernel: 28,224 processed.)
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p3642_Inner:
    p: i64
    q: i32

@struct
class p3642_Ctx:
    a0: i64
    a1: u64
    a2: u64
    a3: u16
    o0: u8
    o1: u16
    arr: i32[3]
    s: p3642_Inner

@struct
class p3642_Work:
    arr: i32[3]
    s: p3642_Inner
    grid: i16[2][3]

p3642_hm = HashMap(u32, u16, max_entries=4)
p3642_am = Array(u64, 4)
p3642_g: i16 = 0

@bpf_function
def p3642_g_set(v: i16) -> None:
    global p3642_g
    p3642_g = p3642_g + v

@bpf_function
def p3642_f0(x0: i8, x1: u64) -> u16:
    if (u32(u32(x1)) % 7) not in p3642_am:
        if max(i8(49), x0) != ((-1) % x0):
            x1 = x1
            x1 = u64((i32(x1) * i32(x0)))
            x0 = abs(x0)
        else:
            x0 = x0
    elif not ((u32(u8(x1)) % 7) in p3642_am):
        p3642_g_set(i16(x1))
    else:
        x0 *= x0
        x1 += u64(i32(x1) == i32(x0))
    p3642_g_set((i16(x0) + (i16(x1) % i16(p3642_g))))
    return max(u16(x1), u16(p3642_g), u16(x0))

@bpf_function
def p3642_f1(x0: u8, x1: u16) -> i64:
    r0 = p3642_am.lookup((u32(i64(x0)) % 7))
    if r0 is not None:
        r0.value ^= u64(u64(x1) != 0)
    return i64(u64(1))

@bpf_function
def p3642_mut(s: p3642_Inner, v: i64) -> None:
    s.p = s.p ^ v
    s.q = (i32(v) * i32(v))

@bpf_function
def p3642_cb(i: u32, s: p3642_Inner) -> int:
    s.p = s.p + i64(i)
    if i >= u32(0):
        return 1
    return 0

@bpf_program("syscall")
def p3642_prog(ctx: p3642_Ctx) -> int:
    w = p3642_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p3642_Inner(p=min(i64(4), ctx.a0, ctx.a0), q=i32(p3642_hm.get((u32(i8(ctx.a1)) % 7), u16(ctx.a2))))
    al = w.s
    fl: bool = u64(7) > ctx.a2
    ctx.s.q = max(tl.q, al.q)
    v1: i8 = (i8(w.s.p) | ((-1) ^ i8(ctx.a2)))
    for i0 in range(0, 9, 3):
        tl.q &= i32((i64(al.q) != 0 or (u32(i64(i0)) % 7) in p3642_am))
        ctx.o1 <<= abs(v1)
        ctx.o0 = ((u8(8) * 128) if ctx.a3 != ctx.o1 else u8(w.s.p))
        if not ((u32(ctx.a3) % 7) in p3642_hm):
            p3642_am[u32(6)] |= u64(ctx.s.q)
            p3642_g_set(((-3) ^ i16(w.s.q)))
            al.q = i32(p3642_g)
        elif u32(helpers.loop(6, p3642_cb, tl)) > (2 // u32(i0)):
            p3642_hm[u32(3)] &= (u16(i0) % 45864)
            if ctx.a0 < max(i64(ctx.o0), i64(i0)):
                p3642_g_set(((4 * i16(i0)) * i16((-26941))))
                p3642_am[(u32(((~u32(ctx.o1)) ^ 5)) % 7)] |= ((u64(ctx.a1) % u64(w.s.p)) & 9223372036854775808)
                tl.q <<= ((u32(tl.q) + u32(al.q)) >> 12)
        else:
            w.s.p = (al.p if i64(tl.q) <= i64(i0) != i64(i0) else i64((-7)))
    p3642_hm[(u32(u64(helpers.loop(6, p3642_cb, tl))) % 7)] ^= u16((8 | ctx.o1))
    pass
    pass
    return (i64(p3642_hm.get((u32(u8(8)) % 7), ctx.a3)) % i64(ctx.a0))


CTXS = [
    {'a0': -9223372036854775808, 'a1': 18446744073709551615, 'a2': 0, 'a3': 0, 'o0': 227, 'o1': 2, 'arr': [0, -296793577, 0], 's': {'p': 1, 'q': -2147483648}},
    {'a0': 0, 'a1': 2, 'a2': 1, 'a3': 42255, 'o0': 0, 'o1': 1, 'arr': [1, 1, 1], 's': {'p': 907783388341776803, 'q': 0}},
    {'a0': 1, 'a1': 8662071819056120432, 'a2': 0, 'a3': 37773, 'o0': 41, 'o1': 65535, 'arr': [2147483647, -1659895303, 0], 's': {'p': 1, 'q': -2147483648}},
    {'a0': 0, 'a1': 1, 'a2': 18446744073709551615, 'a3': 0, 'o0': 0, 'o1': 0, 'arr': [2, -2147483648, -344972332], 's': {'p': 1, 'q': 2147483647}},
]
