"""Fuzz campaign seed 7700417, program 2756 (scripts/fuzz.py --seed 7700417 --count 4000).

`r0 = p2756_hm.lookup(k)` then `r0.value -= (p2756_f0(...) & ...)`, where p2756_f0 deletes and
re-inserts entries of p2756_hm: the kernel reused the freed element for the new key, so the
write through r0 landed in another entry (kernel {2: 0, 0: -2}, simulator {0: 0, 2: 0}).
The checker now refuses the stale write (E178).
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2756_Inner:
    p: u16
    q: i8

@struct
class p2756_Ctx:
    a0: i32
    a1: u64
    o0: i16
    o1: u16
    arr: i64[3]
    s: p2756_Inner

@struct
class p2756_Work:
    arr: i64[3]
    s: p2756_Inner
    grid: i16[2][3]

p2756_hm = HashMap(u32, i8, max_entries=4)
p2756_am = Array(u16, 4)
p2756_g: i8 = 0

@bpf_function
def p2756_g_set(v: i8) -> None:
    global p2756_g
    p2756_g = p2756_g + v

@bpf_function
def p2756_f0(x0: i8, x1: u16, x2: i32) -> i8:
    if not (u32(x2) != u32(x1)):
        x0 //= i8(x2)
        x2 = x2
    elif u8(x2) != 0:
        x2 = (i32(bool(u32(x2))) & x2)
        x0 >>= (u16(x2) & x1)
    elif (i16(5) + i16(x2)) != 0:
        del p2756_hm[(u32(u32(2147483648)) % 7)]
        p2756_hm[(u32(u64(x0)) % 7)] = i8(min(i16((-32768)), i16(x2), i16(x0)))
    else:
        x0 = i8((u32(x2) <= u32(x0) < u32(x2) and not (u64(x1) != 0)))
    p2756_am[(u32(min((-u32(x2)), u32(x2))) % 7)] = u16(x0)
    return i8(u64(x1) <= u64(x2))

@bpf_function
def p2756_f1(x0: u16, x1: i32, x2: u64) -> u8:
    pass
    return min(u8(2), min(u8(x2), u8(x1)))

@bpf_function
def p2756_mut(s: p2756_Inner, v: u16) -> None:
    s.p = s.p ^ v
    s.q = ((-128) * i8(v))

@bpf_function
def p2756_cb(i: u32, s: p2756_Inner) -> int:
    s.p = s.p + u16(i)
    if i >= u32(4):
        return 1
    return 0

@bpf_program("syscall")
def p2756_prog(ctx: p2756_Ctx) -> int:
    w = p2756_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2756_Inner(p=(~u16(ctx.a1)), q=i8(p2756_g))
    al = w.s
    fl: bool = i64((-4751156173863713489)) >= i64(ctx.a1)
    for i0 in range(2, 6, 3):
        ctx.s.p = (u16(i0) + u16(ctx.o0))
    r0 = p2756_hm.lookup((u32((i64(p2756_hm.get((u32(u32(ctx.o0)) % 7), i8(48))) | (i64((-9223372036854775808)) // i64(ctx.a1)))) % 7))
    if r0 is not None:
        r0.value -= ((p2756_f0(tl.q, ctx.o1, i32(ctx.o0)) & (tl.q // (-6))) if (u32(u8(ctx.o1)) % 7) not in p2756_am else tl.q)
    p2756_am[u32(2)] = u16(w.s.p)
    ctx.s.q = i8(p2756_f1(ctx.o1, i32((-8)), u64(9223372036854775808)))
    tl.p = min(al.p, u16(tl.q))
    tl.q = ((-5) + (al.q // al.q))
    p2756_hm[(u32(u64(2)) % 7)] -= i8(w.arr[-2])
    ctx.arr = w.arr
    ctx.s = w.s
    return i16(ctx.s.q)
