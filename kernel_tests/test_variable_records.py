"""Records of variable length: ``rb.output(rec, size)`` and ``events.output(ctx, rec, size)``
send the record's first ``size`` bytes (libbpf-tools' execsnoop sends its packed arguments
only up to ``args_size``); userspace decodes them with the last array field cut to what
arrived, or as bytes when the cut falls before it.  Kernel, simulator and a Python model of
the record agree."""
from __future__ import annotations

import ctypes
import os
import textwrap

import pytest

import ebpfpy
from ebpfpy.testing import FakeKernel, Simulator

SRC = textwrap.dedent('''
    from ebpfpy import (Array, HashMap, PerfEventArray, RingBuf, bpf_program, helpers, struct,
                        u8, u32, u64)

    FULL = 256
    ARGSIZE = 64
    HEAD = 12              # the bytes before args

    @struct
    class Args:
        argv: u64[4]
        n: u32
        extra: u32

    @struct
    class Event:
        pid: u32
        args_count: u32
        args_size: u32
        args: u8[FULL]

    rb = RingBuf(4096, event=Event)
    perf = PerfEventArray(event=Event)
    scratch = Array(Event, 1)
    request = Array(Args, 1)          # what the tracepoint program packs
    me = HashMap(u32, u32, 4)

    @bpf_function
    def pack(e: Event, a: Args) -> u32:
        e.args_count = 0
        e.args_size = 0
        for i in range(4):
            if i >= a.n:
                break
            off = e.args_size
            if off > FULL - ARGSIZE:
                break
            r = helpers.probe_read_user_str(e.args[off:off + ARGSIZE], a.argv[i])
            if r < 0:
                break
            e.args_count += 1
            e.args_size += u32(r)
        return HEAD + e.args_size + a.extra

    @bpf_program("syscall")
    def to_ring(ctx: Args) -> int:
        e = scratch.lookup(0)
        if e is None:
            return 1
        e.pid = 7
        n = pack(e, ctx)
        rb.output(e, n)
        rb.output(e, 8)                # only pid and args_count: no args field at all
        return 0

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def to_perf(ctx) -> int:
        tgid = u32(helpers.get_current_pid_tgid() >> 32)
        if tgid not in me:
            return 0
        e = scratch.lookup(0)
        a = request.lookup(0)
        if e is None or a is None:
            return 0
        e.pid = tgid
        perf.output(ctx, e, pack(e, a))
        helpers.perf_event_output(ctx, perf, BPF_F_CURRENT_CPU, e, 8)    # pid, args_count
        return 0
''').replace("from ebpfpy import (", "from ebpfpy import (BPF_F_CURRENT_CPU, bpf_function, ")
FULL, HEAD = 256, 12


def _strings(argv: list[bytes]) -> tuple[ctypes.Array, list[int]]:
    buf = ctypes.create_string_buffer(1024)
    base = ctypes.addressof(buf)
    for i, a in enumerate(argv):
        ctypes.memmove(base + 100 * i, a + b"\0", len(a) + 1)
    return buf, [base + 100 * i for i in range(len(argv))] + [0] * (4 - len(argv))


def _packed(argv: list[bytes]) -> bytes:
    return b"".join(a + b"\0" for a in argv)


ARGVS = [[b"ls", b"-la", b"/tmp"], [b"x" * 70, b"y"], [b""]]


@pytest.mark.parametrize("argv", ARGVS)
@pytest.mark.parametrize("extra", [0, 5, 10**6])
def test_ring_buffer_gets_the_used_part(argv: list[bytes], extra: int) -> None:
    argv = [a[:63] for a in argv]                 # what a 64-byte str read keeps
    buf, addrs = _strings(argv)
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="varrec.py")) as obj:
        ctx = obj.structs.Args(argv=addrs, n=len(argv), extra=extra)
        assert obj.programs.to_ring.test_run(ctx=ctx).retval == 0
        got = list(obj.maps.rb.poll(timeout=0.2))
    sim = Simulator(source=SRC, filename="varrec.py",
                    env=FakeKernel(memory={ctypes.addressof(buf): buf.raw}))
    assert sim.run("to_ring", ctx=bytes(ctx)).retval == 0
    want = _packed(argv)
    n = min(len(want) + extra, FULL)              # a size past the record is cut to it
    assert len(got) == 2 and got[1] == (7).to_bytes(4, "little") + len(argv).to_bytes(4, "little")
    ev = got[0]
    assert (ev.pid, ev.args_count, ev.args_size) == (7, len(argv), len(want))
    assert bytes(ev.args) == (want + bytes(FULL))[:n]
    assert [repr(r) for r in sim.maps.rb.records] == [repr(r) for r in got]


def test_perf_buffer_gets_the_used_part_rounded_to_8() -> None:
    argv = [b"cat", b"/etc/hostname"]
    buf, addrs = _strings(argv)
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="varrec.py")) as obj:
        obj.maps.request[0] = obj.structs.Args(argv=addrs, n=len(argv), extra=0)
        obj.maps.me[os.getpid()] = 1
        with obj.programs.to_perf.attach():
            os.getppid()
        got = list(obj.maps.perf.poll(timeout=0.5))
    want = _packed(argv)
    assert len(got) == 2
    # 8 bytes arrive as 12 (the padding is zero): args_size reads 0 and args is empty
    tail = got[1]
    assert (tail.pid, tail.args_count, tail.args_size, tail.args) == (os.getpid(), 2, 0, b"")
    ev = got[0]
    assert (ev.pid, ev.args_count, ev.args_size) == (os.getpid(), 2, len(want))
    # the kernel pads a raw sample so that its u32 size and data end on 8 bytes
    sent = HEAD + len(want)
    padded = (sent + 4 + 7) // 8 * 8 - 4
    assert bytes(ev.args) == (want + bytes(8))[:padded - HEAD]
