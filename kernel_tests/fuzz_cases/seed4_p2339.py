"""Fuzz campaign seed 4, program 2339 (scripts/fuzz.py --seed 4 --first 2339 --count 1).

An inline masked index, `w.arr[i8(p2339_f0(...)) & 1]`: LLVM folded the program's own mask into the arithmetic
before it, and the verifier saw the access with "math between fp pointer and register with
unbounded min value".  An index that is not a masked local now passes through a barrier
before the clamp (lower/places.py), so the clamp stays in the register the access uses.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2339_Inner:
    p: i64
    q: i8

@struct
class p2339_Ctx:
    a0: i32
    a1: i64
    a2: i8
    a3: u64
    o0: i32
    o1: u16
    o2: u16
    arr: u32[2]
    s: p2339_Inner

@struct
class p2339_Work:
    arr: u32[2]
    s: p2339_Inner
    grid: i16[2][3]

p2339_hm = HashMap(u32, u16, max_entries=4)
p2339_am = Array(u32, 4)
p2339_g: i64 = 0

@bpf_function
def p2339_g_set(v: i64) -> None:
    global p2339_g
    p2339_g = p2339_g + v

@bpf_function
def p2339_f0(x0: i8, x1: i32) -> i64:
    pass
    return ((i64(x0) // i64(x0)) >> (u8(x0) + u8(x0)))

@bpf_function
def p2339_f1(x0: u32) -> u64:
    v0: u16 = min((u16(p2339_am.get((u32(i8(x0)) % 7), u32(2147483648))) >> i8(p2339_f0(i8(x0), i32(x0)))), (~u16(i32(x0))))
    p2339_hm[u32(7)] |= u16(p2339_g)
    return (14937263900552843081 // (u64(x0) ^ u64(x0)))

@bpf_function
def p2339_mut(s: p2339_Inner, v: i64) -> None:
    s.p = s.p % v
    s.q = (i8(v) ^ i8((-108)))

@bpf_function
def p2339_cb(i: u32, s: p2339_Inner) -> int:
    s.p = s.p ^ i64(i)
    if i >= u32(5):
        return 1
    return 0

@bpf_program("syscall")
def p2339_prog(ctx: p2339_Ctx) -> int:
    w = p2339_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2339_Inner(p=(ctx.a1 * ctx.a1), q=(i8(ctx.a0) if (u32(ctx.a3) % 7) not in p2339_am else i8(ctx.a1)))
    al = tl
    fl: bool = i64(ctx.a2) < ctx.a1
    p2339_g_set(i64(p2339_f1((u32(ctx.a2) if u16(ctx.a1) <= ctx.o2 else u32(0)))))
    p2339_mut(w.s, tl.p)
    tl.q = ((abs(tl.q) << u8(i32(tl.q) != 0)) // ((i8(tl.p) % 4) % (-128)))
    for i0 in range(3, 2):
        r1 = p2339_am.lookup((u32(u32(u16(65535) != ctx.o1)) % 7))
        if r1 is not None:
            r1.value -= u32(i0)
        tl.q -= i8(p2339_hm.get(u32(3), u16(6)))
        ctx.o0 = i32(p2339_g)
    v2: i32 = i32(p2339_f1(u32(al.q)))
    p2339_g_set(i64(w.arr[(i8(p2339_f0(ctx.a2, i32(al.p))) & 1)]))
    if not (ctx.a0 <= ctx.o0):
        p2339_mut(w.s, (i64(w.grid[0][(u32((u64(al.p) & 12829272437192158060)) % 3)]) & (ctx.a1 & (i64(tl.p) << 27))))
        ctx.o1 = u16(ctx.s.p)
        tl.q += i8(ctx.o1)
    elif fl:
        ctx.o2 = u16(ctx.o1)
        for i1 in range(2, 4, 3):
            w.arr[(i16(i1) & 1)] = u32(w.s.p)
            if not ((i8(ctx.a0) != 0 and i32(i1) < ctx.a0)):
                return u16(ctx.o1)
    elif i16(w.arr[(ctx.a3 & 1)]) < (i16(ctx.o2) + i16(al.p)):
        if u32(1) not in p2339_hm:
            p2339_g_set(i64(p2339_hm[(u32(i8(ctx.a2)) % 7)]))
            tl.p = abs(al.p)
            w.arr[(u32(u64(p2339_hm[(u32(abs(ctx.o0)) % 7)])) % 2)] = (u32(ctx.arr[-1]) // (u32(not (u8(6) <= u8(ctx.o1))) + u32(w.arr[(u32(i64(ctx.a2)) % 2)])))
        elif abs(i16(ctx.o1)) != i16(p2339_g):
            if u32(p2339_g) <= u32(tl.p) < min(u32(al.q), u32(tl.p)):
                ctx.arr[-1] = min((u32((u32(u32(tl.p)) % 7) in p2339_am) * (u32(ctx.a2) // u32(v2))), u32(ctx.a2))
                del p2339_hm[(u32((u32(ctx.a0) ^ u32(ctx.a1))) % 7)]
            else:
                w.s.p = i64((-9223372036854775808))
                al.q = ctx.a2
            p2339_am[(u32(ctx.a3) % 7)] -= u32(w.grid[(u32(ctx.o0) % 2)][1])
        elif min(u8(tl.p), u8(v2)) < (128 ^ u8(ctx.a3)):
            ctx.o2 += (min((u16(35742) if not (u8(tl.p) == u8(tl.p)) else u16(64510)), (~u16(ctx.a2))) if i16(w.grid[-1][(u32(ctx.o2) % 3)]) != (i16((-32768)) & i16(tl.q)) else (-u16(p2339_hm.get((u32(u8(ctx.o2)) % 7), u16(65535)))))
            v2 = i32(tl.q)
        else:
            if min(u32(ctx.a1), u32(v2)) > (-u32(5)):
                ctx.o0 = (-(v2 & (-4)))
                ctx.o1 = u16(p2339_g)
                al.p = i64(p2339_g)
            w.arr[(u32(((i32(ctx.o1) if u16(ctx.o2) != 0 else ctx.a0) & v2)) % 2)] = (min(u32(ctx.a2), u32(ctx.o1)) if ctx.o2 <= ctx.o1 <= ctx.o2 else (u32(ctx.o1) % u32(2)))
    else:
        v2 = i32(i16(p2339_hm[u32(5)]))
    ctx.arr = w.arr
    ctx.s = w.s
    return (u64(18446744073709551615) & u64(p2339_g))

CTXS = [
    {'a0': 0, 'a1': 1, 'a2': 1, 'a3': 17639895282419029690, 'o0': 0, 'o1': 1, 'o2': 2, 'arr': [0, 2], 's': {'p': -5782510223226723890, 'q': -121}},
    {'a0': 826428283, 'a1': 3309686432770465305, 'a2': 0, 'a3': 0, 'o0': -2147483648, 'o1': 2, 'o2': 34176, 'arr': [1093763685, 1], 's': {'p': 9223372036854775807, 'q': 0}},
    {'a0': 2147483647, 'a1': -9223372036854775808, 'a2': -1, 'a3': 0, 'o0': 1504668686, 'o1': 0, 'o2': 17075, 'arr': [0, 1341083869], 's': {'p': -9223372036854775808, 'q': 6}},
    {'a0': 1996112320, 'a1': -9223372036854775808, 'a2': 1, 'a3': 1, 'o0': 1, 'o1': 27751, 'o2': 4452, 'arr': [0, 661909282], 's': {'p': 0, 'q': 29}},
]
