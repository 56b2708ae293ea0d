"""Fuzz campaign seed 2, program 3555 (scripts/fuzz.py --seed 2 --first 3555 --count 1 --known-issues).

Refused by the kernel, "BPF program is too large": an outlined loop's body changes a scalar
in the caller's stack from its own value (a counter, a product), which a comparison or an
index makes precise; the verifier never widens a precise scalar, so each walk of the bpf_loop
callback came back with a new constant and the walks never converged.  The callback now adds
a zero the verifier cannot know to every scalar of the caller's stack its body may write
(lower/settle.py); the second walk's state is within the first's. (Kernel: 7,465 processed.)
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p3555_Inner:
    p: u64
    q: i64

@struct
class p3555_Ctx:
    a0: u16
    a1: i16
    a2: i16
    o0: i8
    o1: i8
    arr: u8[3]
    s: p3555_Inner

@struct
class p3555_Work:
    arr: u8[3]
    s: p3555_Inner
    grid: i16[2][3]

p3555_hm = HashMap(u32, i8, max_entries=4)
p3555_am = Array(u64, 4)
p3555_g: i8 = 0

@bpf_function
def p3555_g_set(v: i8) -> None:
    global p3555_g
    p3555_g = p3555_g + v

@bpf_function
def p3555_f0(x0: i8, x1: u8) -> u32:
    pass
    return (u32(x0) ^ 4)

@bpf_function
def p3555_f1(x0: i8, x1: u16) -> u16:
    pass
    return x1

@bpf_function
def p3555_mut(s: p3555_Inner, v: u64) -> None:
    s.p = s.p // v
    s.q = (9223372036854775807 - i64(v))

@bpf_function
def p3555_cb(i: u32, s: p3555_Inner) -> int:
    s.p = s.p + u64(i)
    if i >= u32(4):
        return 1
    return 0

@bpf_program("syscall")
def p3555_prog(ctx: p3555_Ctx) -> int:
    w = p3555_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p3555_Inner(p=u64(ctx.a1), q=(i64(ctx.a0) & i64(ctx.a2)))
    al = w.s
    fl: bool = u32(ctx.a2) >= u32(ctx.a0)
    tl.q = i64(al.p)
    if (i32(ctx.o1) ^ (-2147483648)) <= (i32(ctx.a2) | i32((-2147483648))) < i32(ctx.a1):
        ctx.o0 = (ctx.o0 << 7)
        if i16(p3555_hm[(u32(i32(ctx.a1)) % 7)]) <= i16(helpers.loop(4, p3555_cb, w.s)) != (i16(3) >> 5):
            p3555_g_set((i8(2) | (-128)))
            w.grid[(u32(max(i64(al.p), i64(tl.p), i64(w.grid[(u32(u64(tl.p)) % 2)][(u32(u8(255)) % 3)]))) % 2)][(u32(((i16(tl.p) << i16(tl.p)) + i16(ctx.a2))) % 3)] ^= i16(p3555_g)
            ctx.o0 = (~i8(ctx.o0))
        elif (u32(i64((-8))) % 7) not in p3555_am:
            p3555_g_set((i8(p3555_hm[(u32(i8(al.p)) % 7)]) ^ i8(w.s.p)))
            ctx.o1 = min((ctx.o1 | (i8(ctx.o0) if not (u64(18446744073709551615) > u64(tl.p)) else ctx.o1)), (-i8(w.grid[(u32(u8(al.q)) % 2)][(u32(i8(ctx.a0)) % 3)])), (i8(w.s.p) if u8(ctx.a1) != 0 else (ctx.o0 + ctx.o0)))
        else:
            tl.p *= min(tl.p, al.p)
            for i0 in range(-1, 6):
                p3555_hm[u32(5)] &= (i8(w.arr[(u32(u32(i0)) % 3)]) & i8(p3555_hm[u32(3)]))
                p3555_hm[(u32(u8(p3555_f0(ctx.o0, u8(i0)))) % 7)] = i8(helpers.loop(2, p3555_cb, tl))
    elif i32(p3555_am.get((u32(u8(tl.p)) % 7), u64(ctx.a2))) < (~i32(tl.p)):
        al.q = (-(i64(al.p >= tl.p) + 9223372036854775807))
    p3555_g_set((i8((-6)) | (i8(2) - ctx.o0)))
    w.grid[(u32(u32(p3555_am[(u32(i64(ctx.a1)) % 7)])) % 2)][(u32(u16(ctx.a0)) % 3)] += i16(6)
    for i1 in range(-3, 0):
        p3555_am[u32(4)] = u64(p3555_am.get((u32(i64(i1)) % 7), tl.p))
        ctx.o0 %= ctx.o1
        if i16(helpers.loop(4, p3555_cb, al)) < min(ctx.a2, i16(tl.q)):
            p3555_am[(u32(u8(i1)) % 7)] &= (al.p << ctx.a0)
            p3555_g_set((-i8(p3555_hm[(u32(u8(i1)) % 7)])))
        elif (u16(al.p) >= u16(4804) and i32(i1) <= i32(i1)):
            for i2 in range(5):
                r0 = p3555_hm.lookup((u32((ctx.a1 if (not ((ctx.a0 < ctx.a0 != u16(0) and ctx.a0 != 0)) or i8(i1) != 0) else ctx.a1)) % 7))
                if r0 is not None:
                    r0.value ^= i8(w.grid[(u32(i16(helpers.loop(5, p3555_cb, w.s))) % 2)][(u32(abs(ctx.a1)) % 3)])
                ctx.s.q = min(i64(p3555_g), (al.q // 9223372036854775807))
                tl.q += (~al.q)
            p3555_g_set((i8(i1) // ctx.o0))
        al.q = (al.q << i32(ctx.a0))
    p3555_hm[u32(2)] -= (i8(ctx.a0) & ctx.o0)
    if i16(helpers.loop(0, p3555_cb, tl)) >= (-i16(al.p)):
        p3555_g_set(i8(p3555_f0(ctx.o0, u8(128))))
    elif u16(65535) == max(ctx.a0, u16(32768), ctx.a0):
        al.p = (((al.p << ctx.o1) if u16(3) != 0 else u64(ctx.arr[-2])) ^ 11094711889152324105)
        al.q = ((max(i64(al.p), al.q) & abs(tl.q)) % (-3))
    elif fl:
        al.q = i64(i64(w.arr[(u32(i32(ctx.a0)) % 3)]))
        p3555_hm[u32(1)] |= i8(8)
    del p3555_hm[(u32(i64((-5858652172224368279))) % 7)]
    ctx.arr = w.arr
    pass
    return u16(helpers.loop(6, p3555_cb, tl))


CTXS = [
    {'a0': 2, 'a1': 32767, 'a2': 1, 'o0': 1, 'o1': 0, 'arr': [255, 1, 2], 's': {'p': 2, 'q': 1}},
    {'a0': 49200, 'a1': 1, 'a2': 1, 'o0': -128, 'o1': 0, 'arr': [98, 0, 0], 's': {'p': 1, 'q': -9223372036854775808}},
    {'a0': 0, 'a1': 0, 'a2': 1, 'o0': 0, 'o1': 40, 'arr': [2, 255, 87], 's': {'p': 15210543370159058006, 'q': 9223372036854775807}},
    {'a0': 17266, 'a1': 0, 'a2': 3, 'o0': 1, 'o1': 86, 'arr': [0, 245, 1], 's': {'p': 13676069167579068418, 'q': -9223372036854775808}},
]
