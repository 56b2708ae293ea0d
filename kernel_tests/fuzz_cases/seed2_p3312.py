"""Fuzz campaign seed 2, program 3312 (scripts/fuzz.py --seed 2 --first 3312 --count 1 --known-issues).

Refused by the kernel, "BPF program is too large": an outlined loop's body changes a scalar
in the caller's stack from its own value (a counter, a product), which a comparison or an
index makes precise; the verifier never widens a precise scalar, so each walk of the bpf_loop
callback came back with a new constant and the walks never converged.  The callback now adds
a zero the verifier cannot know to every scalar of the caller's stack its body may write
(lower/settle.py); the second walk's state is within the first's. (Kernel: 40,927 processed.)
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p3312_Inner:
    p: i16
    q: i64

@struct
class p3312_Ctx:
    a0: u64
    a1: i64
    o0: i64
    arr: u64[3]
    s: p3312_Inner

@struct
class p3312_Work:
    arr: u64[3]
    s: p3312_Inner
    grid: i16[2][3]

p3312_hm = HashMap(u32, i64, max_entries=4)
p3312_am = Array(u16, 4)
p3312_g: i16 = 0

@bpf_function
def p3312_g_set(v: i16) -> None:
    global p3312_g
    p3312_g = p3312_g + v

@bpf_function
def p3312_f0(x0: u16) -> i64:
    v0: u8 = u8(x0)
    for i0 in range(1, 7, 3):
        if i32(i0) >= i32(i0):
            continue
    return ((-i64(v0)) * i64(p3312_hm[u32(4)]))

@bpf_function
def p3312_mut(s: p3312_Inner, v: i16) -> None:
    s.p = s.p ^ v
    s.q = i64(u64(2))

@bpf_function
def p3312_cb(i: u32, s: p3312_Inner) -> int:
    s.p = s.p + i16(i)
    if i >= u32(2):
        return 1
    return 0

@bpf_program("syscall")
def p3312_prog(ctx: p3312_Ctx) -> int:
    w = p3312_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p3312_Inner(p=i16(ctx.a0), q=(i64((-7)) ^ (-9223372036854775808)))
    al = tl
    fl: bool = (u32(u16(ctx.a0)) % 7) in p3312_hm
    v1: i32 = i32(i64(9223372036854775807) != ctx.o0)
    if (u32(v1) << i32(tl.q)) < u32(ctx.s.q) != u32(w.arr[(u32(u64(2)) % 3)]):
        del p3312_hm[(u32((((-32768) & tl.p) ^ 28276)) % 7)]
        v1 = i32(u8(tl.p))
        del p3312_hm[u32(2)]
    else:
        w.arr[(u32(ctx.a0) % 3)] = ctx.a0
        v1 %= (i32(tl.p) & i32(3))
    p3312_am[(u32(u64(9223372036854775808)) % 7)] += u16(p3312_g)
    if fl:
        if (ctx.a0 - u64(5)) > (-ctx.a0):
            if (u32(4294967295) << 28) <= max(u32(4), u32(al.q)) <= (~u32(tl.p)):
                tl.p = i16(i64(v1) >= al.q)
                tl.p = i16((~i8(ctx.a0)) > i8(ctx.arr[-2]))
            elif (~v1) >= i32(ctx.arr[1]):
                r2 = p3312_hm.lookup(u32(2))
                if r2 is not None:
                    r2.value += (i64(507879796734822874) % i64(tl.p))
                al.p = i16(ctx.a1)
            elif bool(abs(i32(2))):
                al.q = p3312_f0(u16(al.q))
            else:
                p3312_g_set((min(tl.p, i16((-32768))) if u16(v1) < u16(tl.p) <= u16(ctx.a0) else abs(tl.p)))
                p3312_hm[(u32(al.p) % 7)] &= i64(ctx.arr[1])
            p3312_am[u32(7)] |= u16(p3312_hm[u32(2)])
            p3312_am[(u32(u8((u16(al.q) ^ u16(tl.p)))) % 7)] += u16(p3312_g)
        elif (tl.q <= i64(v1) < i64(6) and (u64(al.p) < ctx.a0 or (u32(u8(128)) % 7) not in p3312_am)):
            for i1 in range(5):
                if u8(i1) < u8(128):
                    continue
                if ((u32(i64(tl.p)) % 7) in p3312_hm or u16(i1) != u16(i1)):
                    break
                al.q = i64((u8(0) != 0 or ctx.a0 > ctx.a0))
        else:
            p3312_mut(w.s, i16(not ((u32(u16(tl.q)) % 7) in p3312_hm)))
            for i2 in range(2, 2):
                if (u32(i8(i2)) % 7) not in p3312_hm:
                    continue
        for i3 in range(5, -1, -1):
            p3312_hm[u32(7)] ^= i64(u8(i3))
            w.grid[(u32((abs(i64(i3)) // i64(ctx.s.q))) % 2)][(u32(((-8) ^ min(i8(i3), i8((-5))))) % 3)] += (i16(ctx.a0) | (i16(i3) | tl.p))
            if not ((u32(ctx.a0) % 7) not in p3312_am):
                v1 = (i32(p3312_am.get(u32(0), u16(i3))) * (-6))
                al.q = (abs((tl.q % al.q)) << 28)
                p3312_am[u32(3)] = u16(p3312_f0(u16(i3)))
            else:
                v1 = (v1 | 0)
                p3312_am[(u32((-i16(32767))) % 7)] -= ((u16(32768) * 65535) + (u16(i3) // u16(i3)))
            if u64(w.grid[(u32(i16(5)) % 2)][(u32(tl.p) % 3)]) != 0:
                tl.p = (i16(ctx.s.q) >> 15)
                tl.q = i64(p3312_g)
                w.s.q = (i64(ctx.a0) // i64(i3))
            else:
                p3312_hm[u32(2)] = i64(p3312_am.get(u32(6), u16(ctx.a1)))
        ctx.o0 = p3312_f0(u16(4))
    elif u16(p3312_g) <= u16(p3312_g) < (u16(al.q) & u16(ctx.o0)):
        v1 = ((v1 | i32(ctx.a0)) << i16(ctx.arr[0]))
    del p3312_hm[u32(1)]
    p3312_g_set(i16(w.arr[(u32(tl.p) % 3)]))
    v3: i64 = i64(v1)
    for i4 in range(0):
        for i5 in range(3, 2):
            if not (not (u64(i4) != ctx.a0)):
                v1 += i32(p3312_f0(u16(i4)))
                w.arr[(u32((al.p // (i16((-11617)) ^ 3))) % 3)] = u64(i32(ctx.a0) >= v1)
            elif bool((i16((-27181)) if i8(i4) <= i8(i5) < i8(i5) else i16(ctx.a0))):
                v1 *= v1
                al.p |= (i16(p3312_hm[u32(3)]) & i16(ctx.a1))
            tl.p = ((-2613) - al.p)
        p3312_g_set(i16((u8(i4) != 0 or u32(4) not in p3312_hm)))
        v3 = ((i64(i4) // i64(ctx.s.p)) % (v3 // tl.q))
    ctx.arr = w.arr
    ctx.s = w.s
    return ((i16(v3) // tl.p) // i16(w.grid[(u32(u32(v1)) % 2)][(u32(v1) % 3)]))


CTXS = [
    {'a0': 1, 'a1': -9223372036854775808, 'o0': 2035177600266283017, 'arr': [18446744073709551615, 15842997035958247950, 2], 's': {'p': -32768, 'q': 9223372036854775807}},
    {'a0': 2, 'a1': 0, 'o0': 6270876028031046681, 'arr': [2, 2, 0], 's': {'p': 0, 'q': 1}},
    {'a0': 18446744073709551615, 'a1': -9223372036854775808, 'o0': 9223372036854775807, 'arr': [1, 2, 3586612546088625086], 's': {'p': -32768, 'q': 0}},
    {'a0': 0, 'a1': 0, 'o0': 2, 'arr': [3039356719396477619, 17637573722757558703, 8210484210424406243], 's': {'p': 3, 'q': 9223372036854775807}},
]
