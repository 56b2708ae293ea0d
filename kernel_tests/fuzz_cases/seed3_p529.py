"""Fuzz campaign seed 3, program 529 (scripts/fuzz.py --seed 3 --first 529 --count 1 --known-issues).

An inline masked index, `w.arr[u64(ctx.arr[-2]) & 1]`: LLVM folded the program's own mask into the arithmetic
before it, and the verifier saw the access with "math between fp pointer and register with
unbounded min value".  An index that is not a masked local now passes through a barrier
before the clamp (lower/places.py), so the clamp stays in the register the access uses.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p529_Inner:
    p: i16
    q: i16

@struct
class p529_Ctx:
    a0: i64
    a1: i64
    a2: u64
    o0: i32
    o1: u8
    arr: i16[2]
    s: p529_Inner

@struct
class p529_Work:
    arr: i16[2]
    s: p529_Inner
    grid: i16[2][3]

p529_hm = HashMap(u32, u32, max_entries=4)
p529_am = Array(i16, 4)
p529_g: i32 = 0

@bpf_function
def p529_g_set(v: i32) -> None:
    global p529_g
    p529_g = p529_g + v

@bpf_function
def p529_mut(s: p529_Inner, v: i16) -> None:
    s.p = s.p - v
    s.q = (0 % i16(v))

@bpf_function
def p529_cb(i: u32, s: p529_Inner) -> int:
    s.p = s.p ^ i16(i)
    if i >= u32(4):
        return 1
    return 0

@bpf_program("syscall")
def p529_prog(ctx: p529_Ctx) -> int:
    w = p529_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p529_Inner(p=i16(32767), q=i16(i32(ctx.a0)))
    al = w.s
    fl: bool = ctx.a2 >= u64(18446744073709551615)
    al.q &= ((i16(tl.p) + al.q) if ctx.a1 <= i64(ctx.a0) < i64(1) else i16(w.arr[(u32(i32(ctx.a2)) % 2)]))
    v0: u8 = min(u8((i64(al.p) + i64(tl.p))), (u8(w.s.q) * (u8(8) | ctx.o1)))
    p529_hm[(u32(i16(tl.p)) % 7)] = u32(ctx.o1)
    if (u16(6) % u16(al.q)) >= (u16(tl.p) - 65535):
        tl.q %= max((~al.p), i16(v0))
    r1 = p529_hm.lookup((u32(i64(w.s.q)) % 7))
    if r1 is not None:
        r1.value += min(u32(w.s.q), (u32(v0) ^ 2962819271), u32(4))
    del p529_hm[u32(3)]
    ctx.arr[-2] = abs((i16(i8(al.q) != 0) >> (~u32(al.p))))
    w.arr[(u64(ctx.arr[-2]) & 1)] = abs(i16(w.grid[(u32(i8(tl.q)) % 2)][(u32(i64(tl.q)) % 3)]))
    ctx.arr = w.arr
    ctx.s = w.s
    return u32(ctx.a1)

CTXS = [
    {'a0': -2193914870756804095, 'a1': 1, 'a2': 9969279633880623668, 'o0': 0, 'o1': 171, 'arr': [-27643, -32768], 's': {'p': 32767, 'q': -2}},
    {'a0': 0, 'a1': 2, 'a2': 0, 'o0': 1, 'o1': 181, 'arr': [-32768, 27814], 's': {'p': 0, 'q': 32767}},
    {'a0': 5733818086538782810, 'a1': -2582309680210993132, 'a2': 0, 'o0': 2147483647, 'o1': 173, 'arr': [-3, 0], 's': {'p': 0, 'q': 0}},
    {'a0': -2084742924662123944, 'a1': 1, 'a2': 4018277590232501115, 'o0': 1, 'o1': 1, 'arr': [-32768, 21220], 's': {'p': 1, 'q': -32768}},
]
