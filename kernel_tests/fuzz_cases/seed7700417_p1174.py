"""Fuzz campaign seed 7700417, program 1174 (scripts/fuzz.py --seed 7700417 --first 1174 --count 1).

A 2-iteration loop around a 6-iteration loop whose body branches on calls, max, chained
comparisons and map updates: the estimate was 1,000,000,000,002 (the inner loop's paths
multiply), E250 refused it, yet the kernel loads it (processed 274 insns).  Outlining the
outer loop did not lower the estimate, and the splitter then gave up without trying the inner
loop; it now decides the inner loops (frontend/split.py), and the inner loop is outlined.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p1174_Inner:
    p: u64
    q: u64

@struct
class p1174_Ctx:
    a0: i64
    a1: i64
    a2: i32
    a3: u8
    o0: i16
    o1: u16
    arr: i64[3]
    s: p1174_Inner

@struct
class p1174_Work:
    arr: i64[3]
    s: p1174_Inner
    grid: i16[2][3]

p1174_hm = HashMap(u32, i16, max_entries=4)
p1174_am = Array(i32, 4)
p1174_g: i16 = 0

@bpf_function
def p1174_g_set(v: i16) -> None:
    global p1174_g
    p1174_g = p1174_g + v

@bpf_function
def p1174_f0(x0: i64, x1: u32) -> i8:
    for i0 in range(2, 4, 2):
        if i8(i0) != i8(i0):
            break
        if i16(i0) != 0:
            x0 ^= i64(7)
        del p1174_hm[(u32(i32(p1174_g)) % 7)]
        x1 = (u32(8) << 3)
    return i8(x1)

@bpf_function
def p1174_f1(x0: i16) -> i16:
    pass
    return (1 + (i16((-8)) if bool(u16(x0)) else i16(x0)))

@bpf_function
def p1174_mut(s: p1174_Inner, v: u64) -> None:
    s.p = s.p | v
    s.q = (v & v)

@bpf_function
def p1174_cb(i: u32, s: p1174_Inner) -> int:
    s.p = s.p ^ u64(i)
    if i >= u32(5):
        return 1
    return 0

@bpf_program("syscall")
def p1174_prog(ctx: p1174_Ctx) -> int:
    w = p1174_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p1174_Inner(p=(u64(3) * 5), q=(u64(ctx.a3) | u64(ctx.a0)))
    al = w.s
    fl: bool = u32(4294967295) == u32(ctx.a3)
    w.s.q = u64(w.s.q)
    if ctx.a0 == ctx.a0:
        return (i16(p1174_hm.get((u32(u32(tl.q)) % 7), i16(5))) % (-i16(al.q)))
    for i1 in range(2):
        for i2 in range(4, -2, -1):
            del p1174_hm[(u32(i8(i2)) % 7)]
            p1174_hm[(u32((8 // max(tl.p, tl.p))) % 7)] |= abs(abs(i16(w.s.q)))
            if (u32(u64(ctx.o0)) % 7) not in p1174_am:
                p1174_am[u32(3)] ^= i32(w.grid[i1][i1])
            elif max(al.q, al.p, tl.p) <= (u64(0) * al.q) < (tl.p ^ u64(al.p)):
                p1174_hm[(u32(u32(w.arr[(u32(u64(i2)) % 3)])) % 7)] ^= i16(p1174_am[(u32(i8(i1)) % 7)])
            elif u16(36537) < u16(p1174_f1(i16(i2))) < min(u16(ctx.o0), u16(62475)):
                p1174_am[(u32(min(u64(tl.q), u64(18446744073709551615))) % 7)] |= i32(i1)
                r0 = p1174_am.lookup((u32(i64(u64(ctx.a1) > al.p)) % 7))
                if r0 is not None:
                    r0.value -= ((ctx.a2 + i32(u8(tl.q) < u8(255))) & 6)
            ctx.s.q = (tl.p * u64(i1))
        if (ctx.a1 == i64(3) and i64(9223372036854775807) < i64(ctx.a0) <= ctx.a1):
            break
        al.q = (al.p << 63)
    al.q |= u64(w.s.p)
    pass
    ctx.s = w.s
    return i32(ctx.a0)

CTXS = [
    {'a0': 0, 'a1': 3561442118886905202, 'a2': 1, 'a3': 0, 'o0': 21078, 'o1': 2, 'arr': [-2839983265089525834, 0, -4663102494906959776], 's': {'p': 0, 'q': 0}},
    {'a0': -1, 'a1': -9223372036854775808, 'a2': 0, 'a3': 19, 'o0': 8421, 'o1': 1, 'arr': [-1, 9223372036854775807, 1], 's': {'p': 18446744073709551615, 'q': 12680925297721185184}},
    {'a0': 6835134275977551089, 'a1': 0, 'a2': 0, 'a3': 1, 'o0': 0, 'o1': 60632, 'arr': [0, 1, 0], 's': {'p': 0, 'q': 0}},
    {'a0': 0, 'a1': 0, 'a2': 1, 'a3': 255, 'o0': -32768, 'o1': 18746, 'arr': [-8560097819085451663, 0, 7334668993788119931], 's': {'p': 0, 'q': 0}},
]
