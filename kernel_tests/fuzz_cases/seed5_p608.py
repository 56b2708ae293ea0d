"""Fuzz campaign seed 5, program 608 (scripts/fuzz.py --seed 5 --first 608 --count 1).

`w.grid[...][i0] ^= ...` in an outlined loop: in the callback the range variable is computed
from bpf_loop's index, a runtime value, but the lowering treated it as a walked loop's
variable (LLVM unrolls those and folds the index) and used no barrier; LLVM dropped the
clamp and the verifier refused the access ("invalid unbounded variable-offset read from
stack").  An outlined loop's variable is now lowered as any runtime index (lower/places.py).
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p608_Inner:
    p: u8
    q: i8

@struct
class p608_Ctx:
    a0: u64
    a1: i16
    o0: u16
    o1: u32
    arr: u64[2]
    s: p608_Inner

@struct
class p608_Work:
    arr: u64[2]
    s: p608_Inner
    grid: i16[2][3]

p608_hm = HashMap(u32, i64, max_entries=4)
p608_am = Array(u64, 4)
p608_g: i8 = 0

@bpf_function
def p608_g_set(v: i8) -> None:
    global p608_g
    p608_g = p608_g + v

@bpf_function
def p608_f0(x0: u64, x1: u16) -> u32:
    x0 = min(x0, x0, (u64(x1) ^ u64(p608_g)))
    p608_am[(u32(i8(7)) % 7)] += x0
    p608_g_set((i8(x0) >> (u8(128) if not (u32(490550850) >= u32(x1)) else (u8(x0) // u8(x1)))))
    return ((u32(1) ^ u32(x0)) % (u32(2183529625) if i16(x0) > i16((-10700)) else u32(5)))

@bpf_function
def p608_mut(s: p608_Inner, v: u8) -> None:
    s.p = s.p | v
    s.q = (i8(v) << 7)

@bpf_function
def p608_cb(i: u32, s: p608_Inner) -> int:
    s.p = s.p + u8(i)
    if i >= u32(4):
        return 1
    return 0

@bpf_program("syscall")
def p608_prog(ctx: p608_Ctx) -> int:
    w = p608_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p608_Inner(p=u8(ctx.a1), q=min(i8(ctx.a1), i8(ctx.a0), i8(ctx.a0)))
    al = tl
    fl: bool = u32(ctx.a1) != u32(ctx.a1)
    w.arr[1] = (u64(16637000940125366311) >> i64(al.q))
    r0 = p608_hm.lookup((u32(al.q) % 7))
    if r0 is not None:
        r0.value |= abs(i64(tl.q))
    for i0 in range(3):
        al.q //= ((i8((ctx.a0 > ctx.a0 or i64(i0) < i64(tl.p))) * (i8(8) if bool(ctx.o0) else tl.q)) - i8(p608_f0(u64(13982225136240926236), ctx.o0)))
        al.p <<= u64(tl.q)
        if (u32(al.p) % 7) in p608_hm:
            p608_hm[u32(1)] = i64(u8(i0) == u8(128))
            p608_g_set((i8(p608_am.get((u32(i64(i0)) % 7), u64(16242209143390518265))) // i8(127)))
        elif (ctx.a1 if u8(8) > tl.p else i16(i0)) != 0:
            p608_mut(w.s, ((128 & al.p) if u16(i0) > u16(ctx.o0) else u8(not (u32(i0) <= u32(ctx.o1)))))
            del p608_hm[(u32((tl.q & (-2))) % 7)]
        else:
            r1 = p608_am.lookup((u32((~(-ctx.a1))) % 7))
            if r1 is not None:
                r1.value &= u64(p608_hm.get((u32(i32(not fl)) % 7), i64((-6))))
            if u8(i0) != 0:
                w.grid[(u32(u8(u32(2))) % 2)][i0] ^= i16(p608_f0(ctx.a0, u16(tl.p)))
                del p608_hm[(u32(u32((u8(0) >= tl.p and ctx.o1 > ctx.o1))) % 7)]
                r2 = p608_hm.lookup((u32((i32(ctx.a1) if i64(i0) < i64(i0) != i64(i0) else i32(i0))) % 7))
                if r2 is not None:
                    r2.value |= (-min(i64(i0), i64(9223372036854775807), i64(i0)))
        if bool(u64(i0)):
            continue
    r3 = p608_hm.lookup((u32(i64(ctx.o1)) % 7))
    if r3 is not None:
        r3.value |= i64(w.s.p)
    p608_g_set(al.q)
    p608_am[(u32(i32(ctx.s.p)) % 7)] = u64(w.grid[(u32(min(i8(127), i8(ctx.o0), al.q)) % 2)][(u32((ctx.a0 if (u32(ctx.a1) % 7) in p608_am else ctx.a0)) % 3)])
    ctx.arr = w.arr
    ctx.s = w.s
    return i32(helpers.loop(6, p608_cb, tl))

CTXS = [
    {'a0': 2, 'a1': 1, 'o0': 0, 'o1': 4294967295, 'arr': [8239300233629829777, 0], 's': {'p': 255, 'q': 1}},
    {'a0': 5290820629537586918, 'a1': 20010, 'o0': 37314, 'o1': 1, 'arr': [0, 0], 's': {'p': 0, 'q': 0}},
    {'a0': 0, 'a1': -3, 'o0': 0, 'o1': 1252825284, 'arr': [1515988124114821286, 0], 's': {'p': 2, 'q': 127}},
    {'a0': 18446744073709551615, 'a1': 32767, 'o0': 1, 'o1': 0, 'arr': [18446744073709551615, 1], 's': {'p': 0, 'q': 1}},
]
