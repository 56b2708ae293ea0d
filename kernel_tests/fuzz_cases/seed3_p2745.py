"""Fuzz campaign seed 3, program 2745 (scripts/fuzz.py --seed 3 --first 2745 --count 1 --known-issues).

Two nested outlined loops whose bodies compare values of the caller's stack with each other
and with the loops' variables (`max(i64(i0), i64(tl.q), i64(i1))`, `min(i64(ctx.s.p), ...)`).
A load from a stack slot shares the slot's identity in the verifier, so each comparison
narrowed the caller's slots themselves; narrowed values that decide a branch are precise,
never widened, and the callbacks came back with new states on every walk: "BPF program is
too large" (estimate 343).  A callback now reads the caller's stack through `v | opaque 0`,
an operation that gives the register an identity of its own (lower/memory.py, _unlinked):
the comparisons narrow registers only (kernel: 21,994 processed).
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p2745_Inner:
    p: i32
    q: u64

@struct
class p2745_Ctx:
    a0: u32
    a1: i32
    a2: i16
    a3: i16
    o0: i8
    o1: u64
    o2: u8
    arr: i16[4]
    s: p2745_Inner

@struct
class p2745_Work:
    arr: i16[4]
    s: p2745_Inner
    grid: i16[2][3]

p2745_hm = HashMap(u32, i64, max_entries=4)
p2745_am = Array(u16, 4)
p2745_g: i16 = 0

@bpf_function
def p2745_g_set(v: i16) -> None:
    global p2745_g
    p2745_g = p2745_g + v

@bpf_function
def p2745_f0(x0: u16, x1: i8) -> u64:
    x0 = u16(p2745_g)
    return max((u64(x0) << 62), (u64(18446744073709551615) * u64(x1)), u64(x1))

@bpf_function
def p2745_mut(s: p2745_Inner, v: i32) -> None:
    s.p = s.p ^ v
    s.q = (u64(v) & u64(v))

@bpf_function
def p2745_cb(i: u32, s: p2745_Inner) -> int:
    s.p = s.p + i32(i)
    if i >= u32(2):
        return 1
    return 0

@bpf_program("syscall")
def p2745_prog(ctx: p2745_Ctx) -> int:
    w = p2745_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p2745_Inner(p=ctx.a1, q=(u64(ctx.a0) // u64(ctx.a0)))
    al = w.s
    fl: bool = not (bool(ctx.a1))
    del p2745_hm[(u32((al.q & tl.q)) % 7)]
    p2745_am[u32(4)] = u16(tl.q)
    del p2745_hm[(u32(i8(al.q)) % 7)]
    for i0 in range(0, 9, 2):
        if (9223372036854775808 // u64(i0)) != 0:
            for i1 in range(6):
                p2745_hm[(u32(abs(i8(w.grid[(u32(i64(i0)) % 2)][(u32(i64(i0)) % 3)]))) % 7)] = (min(i64(ctx.s.p), max(i64(ctx.a1), i64(i0)), i64(i0)) | (i64(w.s.p) // max(i64(i0), i64(tl.q), i64(i1))))
                al.q = (u64(ctx.a2) % al.q)
                tl.p = (1 + i32(p2745_f0(u16(i1), ctx.o0)))
            ctx.o2 = ctx.o2
        elif i32(p2745_g) != 0:
            p2745_am[(u32((u64(w.grid[(u32(u8(128)) % 2)][(u32(ctx.o1) % 3)]) + (tl.q & al.q))) % 7)] &= u16(w.arr[-2])
        else:
            p2745_am[u32(3)] = u16(p2745_f0((-u16(i0)), (ctx.o0 // 127)))
        al.p -= (al.p + ctx.a1)
    tl.p -= i32(p2745_g)
    ctx.o1 >>= max(ctx.a0, u32(ctx.a1), ctx.a0)
    ctx.arr = w.arr
    ctx.s = w.s
    return (i16(25516) ^ i16(ctx.o2))

CTXS = [
    {'a0': 4294967295, 'a1': -3, 'a2': 3, 'a3': -32768, 'o0': 0, 'o1': 18446744073709551615, 'o2': 19, 'arr': [0, 32767, 1, 32767], 's': {'p': -1, 'q': 0}},
    {'a0': 0, 'a1': 2, 'a2': -19822, 'a3': 0, 'o0': 127, 'o1': 1, 'o2': 0, 'arr': [1, 0, -32768, 1], 's': {'p': -207412217, 'q': 0}},
    {'a0': 0, 'a1': 1, 'a2': -1960, 'a3': 0, 'o0': 1, 'o1': 1489913229760224065, 'o2': 248, 'arr': [3, 32767, 0, -2177], 's': {'p': -2147483648, 'q': 0}},
    {'a0': 1358276211, 'a1': 2147483647, 'a2': -32768, 'a3': -2, 'o0': 1, 'o1': 1425850862865131276, 'o2': 180, 'arr': [-5631, -19043, 32767, 32767], 's': {'p': 1, 'q': 18446744073709551615}},
]
