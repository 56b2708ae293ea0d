"""Fuzz campaign seed 3, program 1709 (scripts/fuzz.py --seed 3 --first 1709 --count 1 --known-issues).

A branchy 5-iteration loop inside a 1-iteration loop (`for i0 in range(-1, 0)`): the
estimate was 167,772,639 (E250), the kernel verifies it walked in 4,977 steps.  The splitter
skipped loops of one iteration without looking at the loops inside them; it now decides
those (frontend/split.py), and the inner loop is outlined (kernel: 5,185 processed).
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p1709_Inner:
    p: u16
    q: i64

@struct
class p1709_Ctx:
    a0: u32
    a1: u32
    a2: u32
    a3: i32
    o0: i32
    o1: i64
    arr: u32[4]
    s: p1709_Inner

@struct
class p1709_Work:
    arr: u32[4]
    s: p1709_Inner
    grid: i16[2][3]

p1709_hm = HashMap(u32, u8, max_entries=4)
p1709_am = Array(i16, 4)
p1709_g: u64 = 0

@bpf_function
def p1709_g_set(v: u64) -> None:
    global p1709_g
    p1709_g = p1709_g + v

@bpf_function
def p1709_mut(s: p1709_Inner, v: u16) -> None:
    s.p = s.p - v
    s.q = i64(v)

@bpf_function
def p1709_cb(i: u32, s: p1709_Inner) -> int:
    s.p = s.p + u16(i)
    if i >= u32(2):
        return 1
    return 0

@bpf_program("syscall")
def p1709_prog(ctx: p1709_Ctx) -> int:
    w = p1709_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p1709_Inner(p=u16((u32(u16(ctx.a1)) % 7) not in p1709_am), q=i64(i16(ctx.a1)))
    al = w.s
    fl: bool = u8(128) < u8(8)
    for i0 in range(-1, 0):
        al.p = (~u16(tl.q))
        tl.q = max(i64(i0), al.q)
        for i1 in range(2, 5, 2):
            p1709_hm[(u32(i8(i0)) % 7)] |= u8(p1709_g)
        for i2 in range(3, -2, -1):
            ctx.s.p = u16(helpers.loop(6, p1709_cb, w.s))
            if (tl.q if i64(1) != i64(i2) else tl.q) <= ((-7822177341196803781) - al.q) < i64((not ((i8(2) >= i8(i2) and u8(128) == u8(i0))) and (u32(i8((-1))) % 7) not in p1709_hm)):
                tl.q = (al.q + i64(i2))
            p1709_hm[(u32(((u32(1) if bool(ctx.a0) else ctx.a1) + u32(w.arr[(u32(ctx.a0) % 4)]))) % 7)] = u8(p1709_hm.get((u32(u8(i2)) % 7), u8(2)))
            ctx.arr[-2] = u32(u64(i0) != 0)
    p1709_am[(u32(i32(helpers.loop(3, p1709_cb, al))) % 7)] = (i16(w.arr[(u32(u8(al.q)) % 4)]) % i16(ctx.arr[0]))
    p1709_g_set((u64(ctx.a0) ^ u64(ctx.a1)))
    v0: i8 = i8(helpers.loop(4, p1709_cb, w.s))
    pass
    ctx.s = w.s
    return (18446744073709551615 // (7 ^ u64(ctx.a2)))

CTXS = [
    {'a0': 1077945866, 'a1': 2, 'a2': 0, 'a3': -1583848150, 'o0': -253710198, 'o1': -164999636233246278, 'arr': [4294967295, 0, 4294967295, 1], 's': {'p': 42779, 'q': 0}},
    {'a0': 1, 'a1': 2, 'a2': 1368175371, 'a3': 0, 'o0': 1307554838, 'o1': 6718910492262088720, 'arr': [0, 2, 2, 2784961721], 's': {'p': 0, 'q': 9223372036854775807}},
    {'a0': 0, 'a1': 1, 'a2': 4294967295, 'a3': 1821280278, 'o0': 0, 'o1': 9223372036854775807, 'arr': [3574476149, 477812018, 0, 88309978], 's': {'p': 1, 'q': 1}},
    {'a0': 4294967295, 'a1': 1, 'a2': 4294967295, 'a3': 1, 'o0': -2147483648, 'o1': 1, 'arr': [1, 2, 1, 0], 's': {'p': 0, 'q': -8861316903082721106}},
]
