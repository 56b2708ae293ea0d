"""Slices as helper destinations (``buf[off:off + K]``, ``buf[4:]``, ``buf[:4]``): strings
packed one after another the way libbpf-tools' execsnoop packs argv; kernel, simulator
and a Python model of the packing agree, and a runtime offset that leaves no room gives
-E2BIG without a write."""
from __future__ import annotations

import ctypes
import textwrap

import pytest

import ebpfpy
from ebpfpy.testing import FakeKernel, Simulator

SRC = textwrap.dedent('''
    from ebpfpy import Array, bpf_program, helpers, struct, u8, u32, u64, i64

    ARGSIZE = 64
    FULL = 512
    LAST_ARG = FULL - ARGSIZE

    @struct
    class Args:
        argv: u64[6]
        n: u32
        raw_off: u32

    @struct
    class Event:
        args_count: u32
        args_size: u32
        args: u8[FULL]
        head: u8[16]
        r_head: i64
        r_raw: i64

    events = Array(Event, 1)

    @bpf_program("syscall")
    def pack(ctx: Args) -> int:
        e = events.lookup(0)
        if e is None:
            return 1
        e.args_count = 0
        e.args_size = 0
        for i in range(6):
            if i >= ctx.n:
                break
            off = e.args_size
            if off > LAST_ARG:
                return 0
            ret = helpers.probe_read_user_str(e.args[off:off + ARGSIZE], ctx.argv[i])
            if ret < 0 or ret > ARGSIZE:
                return 2
            e.args_count += 1
            e.args_size += u32(ret)
        e.r_head = helpers.probe_read_user_str(e.head[4:], ctx.argv[0])
        helpers.probe_read_user(e.head[:4], ctx.argv[1])
        e.r_raw = helpers.probe_read_user(e.args[ctx.raw_off:ctx.raw_off + 8], ctx.argv[1])
        return 0
''')
ARGSIZE, FULL = 64, 512


def _model(argv: list[bytes], raw_off: int) -> tuple[int, bytes, bytes, int, int]:
    """execsnoop's packing in Python: each argument up to ARGSIZE - 1 bytes and its NUL."""
    args = bytearray(FULL)
    size = 0
    for a in argv:
        s = a[:ARGSIZE - 1] + b"\0"
        args[size:size + len(s)] = s
        size += len(s)
    head = bytearray(16)
    first = argv[0][:11] + b"\0"
    head[4:4 + len(first)] = first
    head[:4] = (argv[1] + b"\0" * 4)[:4]
    r_raw = -7
    if raw_off <= FULL - 8:
        args[raw_off:raw_off + 8] = (argv[1] + b"\0" * 8)[:8]
        r_raw = 0
    return size, bytes(args), bytes(head), len(first), r_raw


def _memory(argv: list[bytes]) -> tuple[ctypes.Array, list[int]]:
    buf = ctypes.create_string_buffer(4096)     # room past each string for a full read
    base, addrs, at = ctypes.addressof(buf), [], 0
    for a in argv:
        ctypes.memmove(base + at, a + b"\0", len(a) + 1)
        addrs.append(base + at)
        at += 200
    return buf, addrs


CASES = [
    ([b"/bin/ls", b"-l", b"/tmp"], 0),
    ([b"python3", b"-c", b"x" * 63, b"y" * 100, b"", b"last"], 504),     # 63: fills ARGSIZE
    ([b"a" * 80, b"bb", b"c"], 505),                                     # 505: no room
    ([b"sh", b"12345678"], 2**32 - 1),
]


@pytest.mark.parametrize("argv,raw_off", CASES)
def test_packed_arguments(argv: list[bytes], raw_off: int) -> None:
    buf, addrs = _memory(argv)
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="slices.py")) as obj:
        Args = obj.structs.Args
        ctx = Args(argv=addrs + [0] * (6 - len(addrs)), n=len(argv), raw_off=raw_off)
        assert obj.programs.pack.test_run(ctx=ctx).retval == 0
        ev = obj.maps.events[0]
    sim = Simulator(source=SRC, filename="slices.py",
                    env=FakeKernel(memory={ctypes.addressof(buf): buf.raw}))
    assert sim.run("pack", ctx=bytes(ctx)).retval == 0
    assert bytes(ev) == bytes(sim.maps.events[0])
    size, args, head, r_head, r_raw = _model(argv, raw_off)
    assert (ev.args_count, ev.args_size) == (len(argv), size)
    assert bytes(ev.args) == args and bytes(ev.head) == head
    assert (ev.r_head, ev.r_raw) == (r_head, r_raw)
