"""Helpers writing into an integer field or element (not just a whole array or struct):
``helpers.probe_read_user(ev.x, addr)``; kernel and simulator agree."""
from __future__ import annotations

import ctypes
import textwrap

import ebpfpy
from ebpfpy.testing import FakeKernel, Simulator

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, helpers, u8, u16, u32, u64, i64

    @struct
    class Args:
        addr: u64
        x: u64
        small: u16
        words: u32[3]
        err: i64

    @bpf_program("syscall")
    def read_fields(ctx: Args) -> int:
        ctx.x = 0
        r1 = helpers.probe_read_user(ctx.x, ctx.addr)
        r2 = helpers.probe_read_user(ctx.small, ctx.addr + 8)
        r3 = helpers.probe_read_user(ctx.words[1], ctx.addr + 10)
        v = u64[1]()
        ctx.err = helpers.probe_read_kernel(v[0], 0)
        return i64(r1 + r2 + r3) + i64(v[0])
''')

def test_integer_fields_and_elements_as_destinations() -> None:
    data = bytes(range(1, 17))
    buf = ctypes.create_string_buffer(data, len(data))
    addr = ctypes.addressof(buf)
    ctx = addr.to_bytes(8, "little") + bytes(8 + 2 + 2 + 12 + 4 + 8)
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="dest.py")) as obj:
        r = obj.programs.read_fields.test_run(ctx=ctx)
    sim = Simulator(source=SRC, filename="dest.py", env=FakeKernel(memory={addr: data}))
    s = sim.run("read_fields", ctx=ctx)
    assert r.retval == s.retval == 0
    assert r.ctx[:32] == bytes(s.ctx)[:32]
    out = r.ctx
    assert out[8:16] == data[:8]                                  # x
    assert out[16:18] == data[8:10]                               # small
    assert out[24:28] == data[10:14] and out[20:24] == out[28:32] == bytes(4)   # words[1] only
    # address 0 fails (the kernel says -ERANGE, below the kernel's addresses; the simulator
    # -EFAULT), and the failed read leaves the element zero (retval 0 above)
    assert int.from_bytes(out[32:40], "little", signed=True) < 0
    assert int.from_bytes(bytes(s.ctx)[32:40], "little", signed=True) < 0
