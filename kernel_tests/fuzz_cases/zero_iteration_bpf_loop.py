# Fuzzer reproducer: helpers.loop(0, cb, ...) made the 6.18 verifier fail ("verifier bug: No program to jit").
# Run as a script: each line prints kernel retval, simulator retval, and whether the ctx bytes agree.
# last lines of the verifier log:
#     verifier bug: No program to jit at insn 336 (subprog < 0)
#     processed 542 insns (limit 1000000) max_states_per_insn 1 total_states 29 peak_states 29 mark_read 0
from ebpfpy import bpf_program, bpf_function, struct, helpers, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64

@struct
class p477_Inner:
    p: i64
    q: u8

@struct
class p477_Ctx:
    a0: u64
    a1: i32
    a2: u8
    o0: i32
    arr: i64[3]
    s: p477_Inner

@struct
class p477_Work:
    arr: i64[3]
    s: p477_Inner
    grid: i16[2][3]

p477_hm = HashMap(u32, i8, max_entries=4)
p477_am = Array(u32, 4)
p477_g: u16 = 0

@bpf_function
def p477_g_set(v: u16) -> None:
    global p477_g
    p477_g = p477_g + v

@bpf_function
def p477_f0(x0: i32, x1: i16) -> u64:
    p477_am[u32(3)] |= min(((~u32(x1)) % 4294967295), u32(x1))
    p477_hm[(u32(((i8(x1) % i8((-52))) >> 0)) % 7)] ^= i8(i32(x0) <= i32(x0))
    return ((u64(x1) | u64(x1)) & (13122604528758079764 % u64(x0)))

@bpf_function
def p477_f1(x0: u8, x1: i8, x2: i32) -> i8:
    x1 = (x1 * (-83))
    if min(u32(6), u32(x0), u32(8)) < max(u32(x0), u32(x0)):
        x2 = (1 * i32(i8(x0) != 0))
    elif bool((i64(x0) if i64(x0) == i64(x1) else i64((-6)))):
        x0 = (u8(p477_g) if x0 > x0 else (x0 & x0))
        del p477_hm[(u32(((-1) & i8(p477_hm[u32(7)]))) % 7)]
    else:
        x1 = (abs(i8((-3))) | (i8(x0) if u32(x2) == u32(x2) else i8(x1)))
        for i0 in range(2, 1):
            r0 = p477_am.lookup((u32(u32(i0)) % 7))
            if r0 is not None:
                r0.value |= (u32(p477_hm.get(u32(3), i8((-6)))) + u32(p477_am.get(u32(4), u32(3))))
            x2 = x2
    x0 = ((x0 & u8(i32(x0) != 0)) // u8(p477_hm[(u32(i16(x2)) % 7)]))
    return i8(x1)

@bpf_function
def p477_mut(s: p477_Inner, v: i64) -> None:
    s.p = s.p * v
    s.q = min(u8(v), u8(v), u8(v))

@bpf_function
def p477_cb(i: u32, s: p477_Inner) -> int:
    s.p = s.p ^ i64(i)
    if i >= u32(1):
        return 1
    return 0

@bpf_program("syscall")
def p477_prog(ctx: p477_Ctx) -> int:
    w = p477_Work()
    w.arr = ctx.arr
    w.s = ctx.s
    tl = p477_Inner(p=i64(ctx.a2), q=(97 % ctx.a2))
    al = w.s
    fl: bool = (u32(ctx.a1) != 0 and not (u16(ctx.a0) == u16(ctx.a1)))
    for i1 in range(1, 3, 2):
        ctx.o0 <<= (u8(i1) // 4)
        tl.q *= u8(ctx.arr[-1])
    r1 = p477_am.lookup((u32(u64(4)) % 7))
    if r1 is not None:
        r1.value -= ((u32(tl.p) ^ u32(ctx.o0)) - u32(tl.q))
    p477_g_set((~u16(al.q)))
    v2: i8 = i8(p477_f0(ctx.o0, i16(ctx.o0)))
    w.s.p = (i64(p477_f0(i32(ctx.a2), i16(25937))) + abs(i64(helpers.loop(0, p477_cb, tl))))
    ctx.o0 = i32(p477_f1(u8(ctx.o0), v2, i32(v2)))
    v3: u16 = ((u16(tl.q) + u16(65535)) ^ u16(i16(ctx.o0) > i16(ctx.a2)))
    pass
    pass
    return u16(32768)


if __name__ == '__main__':
    import ebpfpy
    from ebpfpy.testing import Simulator
    sim = Simulator(__file__)
    with ebpfpy.load(__file__) as obj:
        ctx = sim.structs.p477_Ctx(**{'a0': 18446744073709551615, 'a1': 2147483647, 'a2': 1, 'o0': 586504690, 'arr': [0, 6381416096186888439, -9223372036854775808], 's': {'p': 9223372036854775807, 'q': 42}})
        k = obj.programs.p477_prog.test_run(ctx=bytes(ctx))
        s = sim.run('p477_prog', ctx={'a0': 18446744073709551615, 'a1': 2147483647, 'a2': 1, 'o0': 586504690, 'arr': [0, 6381416096186888439, -9223372036854775808], 's': {'p': 9223372036854775807, 'q': 42}})
        print(k.retval, s.retval, k.ctx == s.ctx)
        ctx = sim.structs.p477_Ctx(**{'a0': 0, 'a1': -1, 'a2': 2, 'o0': 0, 'arr': [3666498315380164318, -1771266937850124548, 0], 's': {'p': 7650056717497810681, 'q': 56}})
        k = obj.programs.p477_prog.test_run(ctx=bytes(ctx))
        s = sim.run('p477_prog', ctx={'a0': 0, 'a1': -1, 'a2': 2, 'o0': 0, 'arr': [3666498315380164318, -1771266937850124548, 0], 's': {'p': 7650056717497810681, 'q': 56}})
        print(k.retval, s.retval, k.ctx == s.ctx)
        ctx = sim.structs.p477_Ctx(**{'a0': 13846017084023840816, 'a1': 451049491, 'a2': 0, 'o0': 0, 'arr': [-9223372036854775808, -7434025974934165966, -1], 's': {'p': -9223372036854775808, 'q': 1}})
        k = obj.programs.p477_prog.test_run(ctx=bytes(ctx))
        s = sim.run('p477_prog', ctx={'a0': 13846017084023840816, 'a1': 451049491, 'a2': 0, 'o0': 0, 'arr': [-9223372036854775808, -7434025974934165966, -1], 's': {'p': -9223372036854775808, 'q': 1}})
        print(k.retval, s.retval, k.ctx == s.ctx)
        ctx = sim.structs.p477_Ctx(**{'a0': 18446744073709551615, 'a1': 367582420, 'a2': 9, 'o0': -608341558, 'arr': [1, -3251822971549393003, -6586687702022803157], 's': {'p': 1932319873634705879, 'q': 90}})
        k = obj.programs.p477_prog.test_run(ctx=bytes(ctx))
        s = sim.run('p477_prog', ctx={'a0': 18446744073709551615, 'a1': 367582420, 'a2': 9, 'o0': -608341558, 'arr': [1, -3251822971549393003, -6586687702022803157], 's': {'p': 1932319873634705879, 'q': 90}})
        print(k.retval, s.retval, k.ctx == s.ctx)
