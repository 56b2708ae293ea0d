"""Fuzz campaign seed 20261203, program 2929 (scripts/fuzz.py --seed 20261203 --count 4000).

LLVM kept the outer loop's exit flag (4 bytes) in the low half of an 8-byte stack slot and a
u32 map key in the other half; the key's store made the verifier forget the flag, so it saw
the loop come back to the same state: "infinite loop detected at insn 332".  Every stack
object is now 8-byte aligned.  The ctx values below are the campaign's.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2929_Inner:
    p: i8
    q: i64

@struct
class p2929_Ctx:
    a0: i32
    a1: u8
    a2: i64
    a3: i16
    o0: u32
    arr: i64[4]
    s: p2929_Inner

@struct
class p2929_Work:
    arr: i64[4]
    s: p2929_Inner
    grid: i16[2][3]

p2929_hm = HashMap(u32, u8, max_entries=4)
p2929_am = Array(u64, 4)
p2929_g: i32 = 0

@bpf_function
def p2929_g_set(v: i32) -> None:
    global p2929_g
    p2929_g = p2929_g + v

@bpf_function
def p2929_f0(x0: i32, x1: i32, x2: i16) -> i8:
    if i64(8) != i64(x1):
        x1 = (x1 % x1)
    elif u32(1) not in p2929_am:
        x1 = (abs(i32((-2147483648))) if u8(x1) >= u8(x2) else i32(p2929_g))
        r0 = p2929_am.lookup((u32((1 & x2)) % 7))
        if r0 is not None:
            r0.value += (~u64(x1))
    p2929_hm[(u32((x0 // (-2147483648))) % 7)] += u8(x2)
    v1: u32 = max(u32(x1), u32(x0), u32(4294967295))
    return i8(x1)

@bpf_function
def p2929_f1(x0: i64, x1: u64, x2: u16) -> u8:
    x1 = u64(u32(x2) != 0)
    v2: i8 = (i8(x2) | (i8(x2) // i8(x2)))
    x0 = min(i64(x1), i64(x0))
    return (u8(p2929_f0(i32(x0), i32(2147483647), i16(x0))) + (~u8(v2)))

@bpf_function
def p2929_mut(s: p2929_Inner, v: i8) -> None:
    s.p = s.p * v
    s.q = i64(p2929_g)

@bpf_function
def p2929_cb(i: u32, s: p2929_Inner) -> int:
    s.p = s.p ^ i8(i)
    if i >= u32(2):
        return 1
    return 0

@bpf_program("syscall")
def p2929_prog(ctx: p2929_Ctx) -> int:
    w = p2929_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2929_Inner(p=i8(ctx.a2), q=(i64(9223372036854775807) - ctx.a2))
    al = w.s
    fl: bool = u64(ctx.a0) == u64(ctx.a2)
    p2929_hm[(u32(ctx.a0) % 7)] &= (u8(ctx.arr[2]) % 7)
    for i0 in range(-3, -1):
        for i1 in range(1, 5):
            tl.q = ((9223372036854775807 // ctx.a2) * i64(i0))
            r3 = p2929_am.lookup(u32(4))
            if r3 is not None:
                r3.value |= (~u64(tl.p))
            ctx.o0 = ctx.o0
        al.q %= ((-i64(p2929_g)) - i64(p2929_hm.get((u32(u8(i0)) % 7), u8(128))))
        p2929_hm[(u32(i32(p2929_am.get((u32(ctx.a0) % 7), u64(7)))) % 7)] = ((5 % ctx.a1) if i32(p2929_g) != 0 else u8(p2929_f0(ctx.a0, ctx.a0, i16(i0))))
        r4 = p2929_am.lookup((u32(i32(p2929_f1(ctx.a2, u64(1), u16(i0)))) % 7))
        if r4 is not None:
            r4.value &= u64(ctx.s.q)
    ctx.s.p = i8((tl.p * tl.p))
    for i2 in range(6, -2, -1):
        al.p = (tl.p * (-1))
    pass
    ctx.s = w.s
    return i32(p2929_hm[(u32(i64(al.q)) % 7)])

CTXS = [
    {'a0': 0, 'a1': 255, 'a2': -9223372036854775808, 'a3': -1, 'o0': 1943347902, 'arr': [6586389659971392719, 0, -9223372036854775808, 9223372036854775807], 's': {'p': 1, 'q': 6632381643392062728}},
    {'a0': 2147483647, 'a1': 181, 'a2': 0, 'a3': 23958, 'o0': 1019284496, 'arr': [-9223372036854775808, -8535996442552840251, 0, 9223372036854775807], 's': {'p': 48, 'q': 5470278489740976938}},
    {'a0': -2147483648, 'a1': 0, 'a2': 9223372036854775807, 'a3': -3, 'o0': 4233167658, 'arr': [0, 0, -9223372036854775808, 0], 's': {'p': -75, 'q': 1}},
    {'a0': -1796659722, 'a1': 169, 'a2': 9223372036854775807, 'a3': 1, 'o0': 1, 'arr': [-9223372036854775808, -247108542373377395, -6863063014162847572, -6857677457896614568], 's': {'p': 1, 'q': 1}},
]
