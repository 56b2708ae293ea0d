"""``@union``: fields overlap in the kernel, in the simulator and in userspace values alike
(union fields of map values, ring-buffer records, locals and keyword construction), and
the BTF carries a union, so ``load(elf_bytes)`` decodes it too."""
from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

SRC = textwrap.dedent('''
    from ebpfpy import Array, HashMap, RingBuf, bpf_program, struct, union, u8, u16, u32, u64

    @union
    class Addr:
        v4: u32
        v6: u8[16]
        words: u32[4]

    @struct
    class Conn:
        family: u16
        port: u16
        addr: Addr

    @union
    class Num:
        whole: u64
        halves: u32[2]
        raw: u8[8]

    @struct
    class In:
        x: u64
        y: u32

    conns = Array(Conn, 2)
    by_addr = HashMap(Addr, u32, 8)
    out = Array(u64, 6)
    rb = RingBuf(4096, event=Conn)

    @bpf_program("syscall")
    def main(ctx: In) -> int:
        c = conns.lookup(0)
        if c is None:
            return 1
        c.family = 2
        c.addr.v4 = ctx.y
        c.port = 80
        n = Num(whole=ctx.x)
        out[0] = u64(n.halves[0])
        out[1] = u64(n.halves[1])
        n.halves[1] = 7
        out[2] = n.whole
        out[3] = u64(c.addr.v6[0]) + u64(c.addr.words[0])
        n.raw[0] = 0xAB
        out[4] = n.whole
        by_addr[c.addr] = u32(c.port)
        a = conns.lookup(1)
        if a is not None:
            out[5] = u64(a.addr.words[3]) + by_addr.get(a.addr, 0)
        rb.output(c)
        return 0
''')


def _module(tmp_path: Path):
    path = tmp_path / "unions_mod.py"
    path.write_text(SRC)
    spec = importlib.util.spec_from_file_location("unions_mod", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["unions_mod"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("x,y", [(0x1122334455667788, 0x0100007F), (0, 0), (2**64 - 1, 2**32 - 1)])
def test_kernel_and_simulator_overlap_the_fields(x: int, y: int) -> None:
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="unions.py")) as obj:
        C, A = obj.structs.Conn, obj.structs.Addr
        other = C(family=10, port=443, addr=A(v6=bytes(range(16))))
        obj.maps.conns[1] = other
        obj.maps.by_addr[other.addr] = 5
        assert obj.programs.main.test_run(ctx=obj.structs.In(x=x, y=y)).retval == 0
        kernel = ([obj.maps.out[i] for i in range(6)], obj.maps.conns[0],
                  list(obj.maps.rb.poll(timeout=0.2)), sorted(obj.maps.by_addr.values()))
    sim = Simulator(source=SRC, filename="unions.py")
    sim.maps.conns[1] = other
    sim.maps.by_addr[other.addr] = 5
    assert sim.run("main", ctx=obj.structs.In(x=x, y=y)).retval == 0
    simulated = ([sim.maps.out[i] for i in range(6)], sim.maps.conns[0],
                 list(sim.maps.rb.records), sorted(sim.maps.by_addr.values()))
    assert repr(kernel) == repr(simulated)
    # what C computes: little-endian halves, a byte store into the low byte
    lo, hi = x & 0xFFFFFFFF, x >> 32
    low7 = lo | 7 << 32
    assert kernel[0] == [lo, hi, low7, (y & 0xFF) + y, (low7 & ~0xFF) | 0xAB,
                         int.from_bytes(bytes(range(12, 16)), "little") + 5]
    assert kernel[1].addr.v4 == y and bytes(kernel[1].addr.v6) == y.to_bytes(4, "little") + bytes(12)
    assert sorted(kernel[3]) == [5, 80]


def test_userspace_union_values(tmp_path: Path) -> None:
    mod = _module(tmp_path)
    try:
        n = mod.Num(whole=0x0102030405060708)
        assert n.halves == [0x05060708, 0x01020304] and n.raw == [8, 7, 6, 5, 4, 3, 2, 1]
        n.halves = [1, 2]                          # assigning a field re-reads the others
        assert n.whole == 2 << 32 | 1 and bytes(n) == bytes([1, 0, 0, 0, 2, 0, 0, 0])
        assert mod.Num.from_bytes(bytes(n)) == n
        assert mod.Num.__bpf_type__.size == 8 and mod.Addr.__bpf_type__.size == 16
        with pytest.raises(TypeError, match="one field"):
            mod.Num(whole=1, raw=[0] * 8)
        with pytest.raises(OverflowError):
            n.whole = -1
    finally:
        sys.modules.pop("unions_mod", None)


def test_elf_bytes_alone_decode_the_union() -> None:
    elf = ebpfpy.compile(source=SRC, filename="unions.py")
    with ebpfpy.load(elf) as obj:
        A = obj.structs.Conn.__bpf_type__.by_name["addr"].type
        assert type(A).__name__ == "UnionType" and A.size == 16
        assert obj.programs.main.test_run(ctx=bytes(12) + bytes(4)).retval == 0
        assert obj.maps.conns[0].addr.words == [0, 0, 0, 0]


def test_in_place_edits_of_a_union_field_rewrite_its_bytes(tmp_path: Path) -> None:
    """``n.raw[0] = 0xAB`` edits the union's bytes, as in C (and in BPF code, where ``main``
    does it): every other field shows the edit, and the value stored in a map carries it."""
    mod = _module(tmp_path)
    try:
        n = mod.Num(whole=0x0102030405060708)
        raw = n.raw
        raw[0] = 0xAB
        raw[7] = 0xCD                               # a name kept for the field keeps working
        assert n.whole == 0xCD020304050607AB and n.halves == [0x050607AB, 0xCD020304]
        assert raw is n.raw and bytes(n) == bytes([0xAB, 7, 6, 5, 4, 3, 2, 0xCD])
        c = mod.Conn(family=2, port=80, addr=mod.Addr(v4=0x0100007F))
        c.addr.v6[15] = 9                           # a union inside a struct
        c.addr.words[1] = 0x11223344
        assert c.addr.v4 == 0x0100007F and c.addr.words == [0x0100007F, 0x11223344, 0, 9 << 24]
        with ebpfpy.load(str(tmp_path / "unions_mod.py")) as obj:
            obj.maps.conns[1] = c
            back = obj.maps.conns[1]
            assert back.addr.v6 == [0x7F, 0, 0, 1, 0x44, 0x33, 0x22, 0x11] + [0] * 7 + [9]
            # the kernel reads the edited bytes: out[5] = words[3] + by_addr.get(...)
            assert obj.programs.main.test_run(ctx=bytes(16)).retval == 0
            assert obj.maps.out[5] == 9 << 24
    finally:
        sys.modules.pop("unions_mod", None)
