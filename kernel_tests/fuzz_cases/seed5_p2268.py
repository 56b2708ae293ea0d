"""Fuzz campaign seed 5, program 2268 (scripts/fuzz.py --seed 5 --first 2268 --count 1).

Refused by the kernel, "BPF program is too large": an outlined loop's body changes a scalar
in the caller's stack from its own value (a counter, a product), which a comparison or an
index makes precise; the verifier never widens a precise scalar, so each walk of the bpf_loop
callback came back with a new constant and the walks never converged.  The callback now adds
a zero the verifier cannot know to every scalar of the caller's stack its body may write
(lower/settle.py); the second walk's state is within the first's.  Here `tl.p += (tl.q ^
tl.p)` doubled a constant on every walk.  (Kernel: 11,272 processed.)
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2268_Inner:
    p: i64
    q: i64

@struct
class p2268_Ctx:
    a0: u64
    a1: u8
    a2: i64
    a3: u8
    o0: u16
    arr: i32[3]
    s: p2268_Inner

@struct
class p2268_Work:
    arr: i32[3]
    s: p2268_Inner
    grid: i16[2][3]

p2268_hm = HashMap(u32, u16, max_entries=4)
p2268_am = Array(u32, 4)
p2268_g: u8 = 0

@bpf_function
def p2268_g_set(v: u8) -> None:
    global p2268_g
    p2268_g = p2268_g + v

@bpf_function
def p2268_f0(x0: u8, x1: i16) -> i8:
    pass
    return i8(p2268_g)

@bpf_function
def p2268_f1(x0: i8) -> u16:
    x0 = i8((u64(x0) + 4))
    return u16((u8(x0) <= u8(x0) <= u8(x0) and u16(x0) < u16(x0) < u16(x0)))

@bpf_function
def p2268_mut(s: p2268_Inner, v: i64) -> None:
    s.p = s.p % v
    s.q = (-i64(9223372036854775807))

@bpf_function
def p2268_cb(i: u32, s: p2268_Inner) -> int:
    s.p = s.p - i64(i)
    if i >= u32(2):
        return 1
    return 0

@bpf_program("syscall")
def p2268_prog(ctx: p2268_Ctx) -> int:
    w = p2268_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2268_Inner(p=i64((-6527868765566940530)), q=i64(p2268_am[u32(6)]))
    al = w.s
    fl: bool = ctx.a1 <= u8(ctx.a2) < u8(128)
    p2268_mut(w.s, i64(w.s.q))
    if i16(w.s.p) != 0:
        p2268_g_set((u8(ctx.o0) >> 6))
        p2268_hm[(u32(i64(al.p)) % 7)] = (max(ctx.o0, ctx.o0) // u16(w.arr[(u32(u32(ctx.a2)) % 3)]))
        al.q = al.q
    elif u64(p2268_f0(u8(128), i16(ctx.o0))) <= (u64(al.q) + ctx.a0) < (u64(5) + ctx.a0):
        tl.q //= (i64(w.grid[1][(u32(i64(ctx.a2)) % 3)]) * i64(w.s.p))
        del p2268_hm[(u32((~i16(p2268_hm.get(u32(1), u16(6))))) % 7)]
    p2268_g_set((u8(p2268_hm[(u32(i16(ctx.a2)) % 7)]) & ((u8(ctx.a2) << 7) % u8(5))))
    p2268_mut(w.s, i64(helpers.loop(3, p2268_cb, w.s)))
    del p2268_hm[(u32(ctx.a3) % 7)]
    v0: u16 = (-(u16(ctx.arr[2]) if i64(al.p) < i64(tl.q) else (~ctx.o0)))
    for i0 in range(3, -2, -1):
        p2268_mut(w.s, min(max(i64(9223372036854775807), al.q, ctx.a2), i64(ctx.s.p), (i64(7) * tl.p)))
        w.grid[(u16(w.grid[(u32(ctx.a1) % 2)][-2]) & 1)][(u32((i8(i0) + i8(i0))) % 3)] ^= i16(p2268_hm.get(u32(0), u16(6)))
        for i1 in range(2, 4, 2):
            if ctx.a1 <= ctx.a3:
                return (~(-u8(w.s.q)))
            r1 = p2268_am.lookup((u32(u8(p2268_g)) % 7))
            if r1 is not None:
                r1.value ^= min((2147483648 & (4294967295 + u32(i1))), (-u32(helpers.loop(2, p2268_cb, tl))))
            if not (u8(i1) > u8(4)):
                tl.p += (tl.q ^ tl.p)
            elif (u32(tl.p) != 0 or not fl):
                ctx.s.q = abs((~i64(i0)))
            elif (i32(i1) if u8(74) > u8(i0) else i32(i1)) == (i32(i1) >> 13):
                ctx.o0 = (u16(i64(i1)) * ctx.o0)
                p2268_am[(u32(i64(i1)) % 7)] = max(u32(i1), u32(i0))
    p2268_am[(u32(((-3) & al.p)) % 7)] = (u32(p2268_f1(i8(al.p))) << 2)
    ctx.arr = w.arr
    ctx.s = w.s
    return u16(1)


CTXS = [
    {'a0': 2, 'a1': 190, 'a2': 1, 'a3': 2, 'o0': 65535, 'arr': [1, -3, 1934090081], 's': {'p': 0, 'q': 1}},
    {'a0': 3842049722301245453, 'a1': 2, 'a2': -9223372036854775808, 'a3': 0, 'o0': 65535, 'arr': [-69410546, 1, -1296216468], 's': {'p': 0, 'q': -1}},
    {'a0': 2, 'a1': 0, 'a2': -3, 'a3': 0, 'o0': 2, 'arr': [-2147483648, 2, 3], 's': {'p': -9070449737772592341, 'q': -9223372036854775808}},
    {'a0': 1, 'a1': 94, 'a2': 1925480617852744358, 'a3': 255, 'o0': 65535, 'arr': [-2147483648, 2147483647, -2095322764], 's': {'p': 1, 'q': 0}},
]
