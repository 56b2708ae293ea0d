"""Fuzz campaign seed 4, program 2603 (scripts/fuzz.py --seed 4 --first 2603 --count 1).

An inline masked index, `w.arr[((u32(2) - u32(4294967295)) >> ...) & 3]`: LLVM folded the program's own mask into the arithmetic
before it, and the verifier saw the access with "math between fp pointer and register with
unbounded min value".  An index that is not a masked local now passes through a barrier
before the clamp (lower/places.py), so the clamp stays in the register the access uses.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2603_Inner:
    p: u8
    q: u64

@struct
class p2603_Ctx:
    a0: i8
    a1: u16
    a2: u16
    a3: i8
    o0: i16
    o1: i64
    arr: i8[4]
    s: p2603_Inner

@struct
class p2603_Work:
    arr: i8[4]
    s: p2603_Inner
    grid: i16[2][3]

p2603_hm = HashMap(u32, u64, max_entries=4)
p2603_am = Array(i32, 4)
p2603_g: u8 = 0

@bpf_function
def p2603_g_set(v: u8) -> None:
    global p2603_g
    p2603_g = p2603_g + v

@bpf_function
def p2603_f0(x0: i64, x1: u8) -> u16:
    v0: u8 = (-u8(x1))
    r1 = p2603_hm.lookup(u32(5))
    if r1 is not None:
        r1.value -= (u64(x1) ^ u64(x1))
    return u16(x1)

@bpf_function
def p2603_f1(x0: u16, x1: u32) -> u32:
    x1 = (x1 // 8)
    x1 = u32(p2603_f0((i64(x0) - i64(x0)), u8(p2603_g)))
    return x1

@bpf_function
def p2603_mut(s: p2603_Inner, v: u8) -> None:
    s.p = s.p & v
    s.q = (u64(5) << u32(v))

@bpf_function
def p2603_cb(i: u32, s: p2603_Inner) -> int:
    s.p = s.p - u8(i)
    if i >= u32(1):
        return 1
    return 0

@bpf_program("syscall")
def p2603_prog(ctx: p2603_Ctx) -> int:
    w = p2603_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2603_Inner(p=(~u8(0)), q=u64(ctx.a1))
    al = tl
    fl: bool = i32(ctx.a0) == i32(ctx.a2)
    del p2603_hm[(u32(u32(u32(ctx.a1))) % 7)]
    v2: i8 = ctx.a0
    w.grid[(u32(max(i8(p2603_g), (i8(u8(v2)) & 127))) % 2)][(u32(u16(v2)) % 3)] ^= abs(i16(u64(ctx.a0)))
    v3: u32 = (u32(7) if (u64(tl.p) + tl.q) <= al.q != (~u64(5)) else min((u32(2385009309) - u32(ctx.o1)), (u32(0) - u32(881975108))))
    v4: i8 = i8(w.arr[(((u32(2) - u32(4294967295)) >> (u8(v2) if ctx.o0 != i16(1) else u8(ctx.o0))) & 3)])
    tl.q = u64(w.s.q)
    w.grid[(u32(u64(p2603_g)) % 2)][(u32(v3) % 3)] = i16(p2603_g)
    if i32(ctx.a3) < i32(ctx.a3):
        return (u16(ctx.arr[-3]) // min((ctx.a2 ^ ctx.a1), u16(ctx.o1), (u16(v3) | u16(1779))))
    ctx.arr = w.arr
    ctx.s = w.s
    return ((u8(3) - 2) + (~u8(v4)))

CTXS = [
    {'a0': -2, 'a1': 65535, 'a2': 59999, 'a3': -128, 'o0': 1, 'o1': 0, 'arr': [0, 22, 0, -2], 's': {'p': 2, 'q': 2}},
    {'a0': -2, 'a1': 1, 'a2': 0, 'a3': 127, 'o0': 1, 'o1': 6224986500676855157, 'arr': [3, -128, 1, 3], 's': {'p': 45, 'q': 0}},
    {'a0': -86, 'a1': 65535, 'a2': 39257, 'a3': -39, 'o0': 11498, 'o1': 0, 'arr': [2, 1, -1, 81], 's': {'p': 0, 'q': 0}},
    {'a0': -1, 'a1': 33571, 'a2': 2, 'a3': -119, 'o0': 2, 'o1': -3, 'arr': [-128, 1, 127, -25], 's': {'p': 0, 'q': 14778209708790129880}},
]
