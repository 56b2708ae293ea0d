"""``Flex[T, N]`` without a kernel: the BTF clang would write for ``T items[]`` (a zero-length
array, left out of the struct's size), the CPython behaviour of a struct ending in one
(bytes of the items present, decoding of what a record brought, checked assignment), and
the compile cache keeping the type."""
from __future__ import annotations

import textwrap

import pytest

import ebpfpy
from ebpfpy import Flex, struct, u8, u16, u32, u64
from ebpfpy import cache_format
from ebpfpy.codec import decode_record
from ebpfpy.objfile import Btf, BpfElf
from ebpfpy.pipeline import run_pipeline

SRC = textwrap.dedent('''
    from ebpfpy import Flex, RingBuf, bpf_program, struct, u8, u16, u64

    @struct
    class Rec:
        stamp: u64
        kind: u8
        items: Flex[u16, 32]      # offset 10; C's sizeof(struct Rec) is 16

    rb = RingBuf(4096, event=Rec)

    @bpf_program("syscall")
    def main(ctx) -> int:
        r = Rec(stamp=1)
        for i in range(32):
            r.items[i] = u16(i)
        rb.output(r, 10 + 2 * 5)
        return 0
''')


@struct
class Rec:
    stamp: u64
    kind: u8
    items: Flex[u16, 32]


@struct
class Line:
    n: u32
    text: Flex[u8, 8]


def test_btf_has_a_zero_length_array_outside_the_size() -> None:
    btf = Btf(BpfElf(ebpfpy.compile(source=SRC, filename="flex.py")).section_data(".BTF"))
    st = btf.find("STRUCT", "Rec")
    assert st is not None and st.size_or_type == 16
    (name, tid, bit_off) = st.members[-1]
    arr = btf.resolve(tid)
    assert (name, bit_off // 8, arr.kind, arr.array[1]) == ("items", 10, "ARRAY", 0)


def test_layout_sizes() -> None:
    t = Rec.__bpf_type__
    assert (t.flex.offset, t.c_size, t.size) == (10, 16, 80)     # storage: 10 + 32 * 2 -> 80


def test_cpython_struct_holds_the_items_present() -> None:
    r = Rec(stamp=5, items=[1, 2, 3])
    assert bytes(r) == (5).to_bytes(8, "little") + b"\0" + b"\0" + b"\1\0\2\0\3\0"
    assert Rec.from_bytes(bytes(r)) == r
    assert Rec().items == [] and Line().text == b""
    assert Line.from_bytes(b"\2\0\0\0hi") == Line(n=2, text=b"hi")
    assert Rec.from_bytes(bytes(Rec(items=[7])) + b"\x09") == Rec(items=[7])   # half an item
    with pytest.raises(ValueError, match="capacity is 8"):
        Line(text=b"123456789")
    with pytest.raises(OverflowError):
        Rec(items=[70000])
    with pytest.raises(TypeError, match="bytes only fill Flex"):
        Rec(items=b"ab")
    with pytest.raises(ValueError, match="needs 10 bytes"):
        Rec.from_bytes(bytes(9))


def test_record_decoding() -> None:
    t = Line.__bpf_type__
    assert decode_record(t, b"\3\0\0\0abc") == Line(n=3, text=b"abc")
    assert decode_record(t, b"\3\0\0") == b"\3\0\0"                   # no head: bytes
    assert decode_record(t, b"\0" * 4 + b"x" * 20) == Line(text=b"x" * 8)   # capacity


def test_cache_keeps_the_flex_type() -> None:
    mod = run_pipeline(SRC, "flex.py")
    again = cache_format.unpack("k", cache_format.pack("k", mod))
    items = again.structs["Rec"].fields[-1].type
    assert repr(items) == "Flex[u16, 32]" and again.structs["Rec"].c_size == 16


def test_a_union_keeps_its_btf_size() -> None:
    # a union sets its size after StructType's init: its C size must follow (BTF size 0
    # made the kernel refuse the BTF: "Member exceeds struct_size")
    src = textwrap.dedent('''
        from ebpfpy import HashMap, bpf_program, union, u8, u32

        @union
        class Addr:
            v4: u32
            v6: u8[16]

        seen = HashMap(Addr, u32, 4)

        @bpf_program("syscall")
        def main(ctx) -> int:
            return 0
    ''')
    btf = Btf(BpfElf(ebpfpy.compile(source=src, filename="u.py")).section_data(".BTF"))
    assert btf.find("UNION", "Addr").size_or_type == 16
