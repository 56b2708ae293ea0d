"""Fuzz campaign seed 2, program 405 (scripts/fuzz.py --seed 2 --first 405 --count 1 --known-issues).

An inline masked index, `w.arr[(2 // (u8(al.q) * u8(tl.q))) & 3]`: LLVM folded the program's own mask into the arithmetic
before it, and the verifier saw the access with "math between fp pointer and register with
unbounded min value".  An index that is not a masked local now passes through a barrier
before the clamp (lower/places.py), so the clamp stays in the register the access uses.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p405_Inner:
    p: u16
    q: i64

@struct
class p405_Ctx:
    a0: u32
    a1: u64
    a2: u32
    o0: i8
    o1: i64
    o2: u64
    arr: u64[4]
    s: p405_Inner

@struct
class p405_Work:
    arr: u64[4]
    s: p405_Inner
    grid: i16[2][3]

p405_hm = HashMap(u32, u32, max_entries=4)
p405_am = Array(i8, 4)
p405_g: u16 = 0

@bpf_function
def p405_g_set(v: u16) -> None:
    global p405_g
    p405_g = p405_g + v

@bpf_function
def p405_mut(s: p405_Inner, v: u16) -> None:
    s.p = s.p % v
    s.q = i64(v)

@bpf_function
def p405_cb(i: u32, s: p405_Inner) -> int:
    s.p = s.p ^ u16(i)
    if i >= u32(3):
        return 1
    return 0

@bpf_program("syscall")
def p405_prog(ctx: p405_Ctx) -> int:
    w = p405_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p405_Inner(p=u16(ctx.a1), q=i64(ctx.a0))
    al = tl
    fl: bool = (ctx.a0 <= ctx.a0 or (bool(ctx.a1) and not (u32(3) in p405_am)))
    w.s.q = (i64(1329697321741575215) & i64(tl.q))
    w.grid[(u32(ctx.o2) % 2)][-3] ^= i16(w.arr[((2 // (u8(al.q) * u8(tl.q))) & 3)])
    for i0 in range(0, 7, 2):
        p405_am[(u32(u64(1)) % 7)] &= min(abs((i8(i0) % ctx.o0)), i8(i16(i0) < i16(i0)))
        for i1 in range(1, 9, 2):
            p405_am[(u32((tl.p % al.p)) % 7)] = i8(p405_hm.get((u32(i16(i0)) % 7), u32(i1)))
            tl.p = ((u16(helpers.loop(0, p405_cb, al)) * min(u16(i0), u16(0))) | 32768)
    v0: u16 = tl.p
    v1: u64 = u64(((ctx.a0 != 0 and ctx.a0 != u32(al.p)) or u32(al.q) != u32(7)))
    ctx.arr = w.arr
    pass
    return i8(ctx.o0)

CTXS = [
    {'a0': 2, 'a1': 1, 'a2': 1658866395, 'o0': -72, 'o1': 3, 'o2': 2, 'arr': [0, 0, 0, 2], 's': {'p': 1, 'q': 1}},
    {'a0': 4294967295, 'a1': 9321324367117495322, 'a2': 3226101200, 'o0': -34, 'o1': 1, 'o2': 0, 'arr': [18446744073709551615, 18446744073709551615, 1, 14117793477549158127], 's': {'p': 33190, 'q': 8875933941511039148}},
    {'a0': 4294967295, 'a1': 11276238524381547749, 'a2': 1293120526, 'o0': 0, 'o1': -9223372036854775808, 'o2': 18446744073709551615, 'arr': [9390656207414787673, 0, 9500578416179034341, 0], 's': {'p': 1, 'q': -7998218559501834450}},
    {'a0': 1, 'a1': 2, 'a2': 1, 'o0': 37, 'o1': -1, 'o2': 18446744073709551615, 'arr': [18446744073709551615, 0, 0, 0], 's': {'p': 1, 'q': -9223372036854775808}},
]
