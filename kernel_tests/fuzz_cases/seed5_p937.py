"""Fuzz campaign seed 5, program 937 (scripts/fuzz.py --seed 5 --first 937 --count 1).

Refused by the kernel, "BPF program is too large": an outlined loop's body changes a scalar
in the caller's stack from its own value (a counter, a product), which a comparison or an
index makes precise; the verifier never widens a precise scalar, so each walk of the bpf_loop
callback came back with a new constant and the walks never converged.  The callback now adds
a zero the verifier cannot know to every scalar of the caller's stack its body may write
(lower/settle.py); the second walk's state is within the first's. (Kernel: 38,071 processed.)
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p937_Inner:
    p: i64
    q: u8

@struct
class p937_Ctx:
    a0: i8
    a1: u8
    a2: u16
    a3: i32
    o0: u8
    arr: i16[4]
    s: p937_Inner

@struct
class p937_Work:
    arr: i16[4]
    s: p937_Inner
    grid: i16[2][3]

p937_hm = HashMap(u32, i8, max_entries=4)
p937_am = Array(i8, 4)
p937_g: i64 = 0

@bpf_function
def p937_g_set(v: i64) -> None:
    global p937_g
    p937_g = p937_g + v

@bpf_function
def p937_f0(x0: u8, x1: u16) -> u16:
    v0: i64 = (i64(x0) if i8(x1) < i8(x1) else (i64(x0) ^ i64(x1)))
    v0 = (v0 << i16(x1))
    x1 = min(((x1 + 20298) if u32(v0) == u32(x1) else x1), ((u16(x0) ^ u16(x1)) * u16(x1)))
    return (65535 ^ u16(v0))

@bpf_function
def p937_f1(x0: u32, x1: u8, x2: u32) -> u16:
    pass
    return u16(i32(x2))

@bpf_function
def p937_mut(s: p937_Inner, v: i64) -> None:
    s.p = s.p ^ v
    s.q = (23 - u8(v))

@bpf_function
def p937_cb(i: u32, s: p937_Inner) -> int:
    s.p = s.p + i64(i)
    if i >= u32(5):
        return 1
    return 0

@bpf_program("syscall")
def p937_prog(ctx: p937_Ctx) -> int:
    w = p937_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p937_Inner(p=i64(ctx.a1), q=u8(255))
    al = w.s
    fl: bool = u64(ctx.a1) != 0
    w.arr[(u32(i16(al.q)) % 4)] = ((i16(ctx.a0) * i16(ctx.o0)) // abs(i16((-32768))))
    v1: i64 = (-al.p)
    for i0 in range(1, 7, 3):
        w.arr[((ctx.a0 >> i64(al.p)) & 3)] = i16(p937_g)
    for i1 in range(5, -2, -1):
        if u64(w.arr[(u32(ctx.a3) % 4)]) < (u64(i1) % u64(18446744073709551615)) < u64(p937_g):
            if i8(helpers.loop(5, p937_cb, w.s)) != 0:
                r2 = p937_hm.lookup((u32((2147483647 % i32(p937_f1(u32(i1), u8(i1), u32(3010566403))))) % 7))
                if r2 is not None:
                    r2.value &= i8(abs(i64(ctx.o0)) >= i64(p937_f0(u8(i1), u16(1))))
                if ctx.a0 != i8((-2)):
                    return u8(p937_am.get((u32(u32(i1)) % 7), i8((-4))))
                if not fl:
                    continue
            elif (u32(i16(tl.p)) % 7) in p937_hm:
                r3 = p937_am.lookup((u32((i16(i1) ^ i16(i1))) % 7))
                if r3 is not None:
                    r3.value &= i8((ctx.a3 // ctx.a3))
                tl.p = i64(w.grid[-2][0])
            elif u16(w.grid[(u32(u64(i1)) % 2)][(u32(u32(i1)) % 3)]) == (ctx.a2 % ctx.a2):
                tl.q <<= u64(p937_am.get((u32(u64(i1)) % 7), i8(17)))
                del p937_hm[(u32((u64(i1) + u64(i1))) % 7)]
            for i2 in range(5, -2, -1):
                p937_am[u32(5)] -= i8(ctx.arr[-1])
                ctx.arr[3] = i16(w.arr[(u32(abs(i64(ctx.a3))) % 4)])
                al.q = ((ctx.a1 | u8(ctx.a2)) * (~tl.q))
        elif (-u32(i1)) < u32(u64(4)):
            if v1 == i64(i1):
                break
        elif i64(i32(i1)) <= i64(p937_hm[(u32(ctx.a2) % 7)]):
            al.p |= min(i64(p937_f0(u8(4), ctx.a2)), i64(ctx.a2 >= u16(i1)), i64(ctx.a2))
        else:
            if (u32(tl.p) % 7) not in p937_am:
                if bool(u64(i1)):
                    continue
                if i16(i1) > i16(i1):
                    continue
            elif u64(p937_f0(al.q, ctx.a2)) <= (u64(i1) * u64(0)):
                tl.p |= (i64(i1) + i64((-3)))
            else:
                ctx.o0 = u8(i1)
            p937_am[(u32(i16(3)) % 7)] -= i8(127)
        v1 //= (i64(i1) - (-6))
        ctx.arr[3] = ((i16(i1) + i16(i1)) | i16(p937_g))
    del p937_hm[(u32(u32(p937_hm.get((u32(u16(2)) % 7), i8(8)))) % 7)]
    p937_am[(u32(u64(tl.p)) % 7)] ^= (i8(ctx.a2) & 5)
    pass
    ctx.s = w.s
    return ((i16(tl.q) | i16((-32768))) // (5 + i16(ctx.a1)))


CTXS = [
    {'a0': 1, 'a1': 57, 'a2': 2, 'a3': 780383725, 'o0': 122, 'arr': [-1, 575, 1, -1], 's': {'p': -9223372036854775808, 'q': 219}},
    {'a0': -75, 'a1': 208, 'a2': 1, 'a3': -2096159029, 'o0': 255, 'arr': [-32768, -2, 0, 32767], 's': {'p': 0, 'q': 0}},
    {'a0': 0, 'a1': 0, 'a2': 1, 'a3': 2147483647, 'o0': 221, 'arr': [1, -21428, 1, 0], 's': {'p': -9223372036854775808, 'q': 1}},
    {'a0': -90, 'a1': 1, 'a2': 0, 'a3': 2147483647, 'o0': 0, 'arr': [0, 0, -19733, 32767], 's': {'p': 1, 'q': 244}},
]
