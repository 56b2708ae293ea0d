"""E337 (a packet reference used after a helper that may move or resize the packet) refuses
only what the verifier would: loading again after the helper, values copied before it, a
helper on a path that returns, and helpers that do not change the packet are accepted; the
refused shapes point at the use.  Also: a ctx.load at a variable offset keeps its start
opaque to LLVM (one pointer, the one the bounds check saw)."""
from __future__ import annotations

import textwrap

import pytest

import ebpfpy
from ebpfpy.errors import CompileError

HEAD = ("from ebpfpy import bpf_program, bpf_function, struct, helpers, XdpContext, SkbContext, "
        "XDP_PASS, XDP_DROP, TC_ACT_OK, u8, u16, u32, i32, i64\n"
        "@struct\nclass Hdr:\n    a: u16\n    b: u16\n")

ACCEPTED = {
    "reload_after_adjust": """
        @bpf_program("xdp")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 0)
            if h is None:
                return XDP_DROP
            keep = h.a
            if helpers.xdp_adjust_head(ctx, -4) != 0:
                return XDP_DROP
            h = ctx.load(Hdr, 0)
            if h is None:
                return XDP_DROP
            h.a = keep
            return XDP_PASS
    """,
    "adjust_on_a_returning_path": """
        @bpf_program("xdp")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 0)
            if h is None:
                return XDP_DROP
            if h.a == 7:
                helpers.xdp_adjust_tail(ctx, -4)
                return XDP_PASS
            h.b = 1
            return XDP_PASS
    """,
    "load_bytes_and_csum_diff_keep_refs": """
        @bpf_program("tc")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 14)
            if h is None:
                return TC_ACT_OK
            w = u32[1]()
            helpers.skb_load_bytes(ctx, 14, w)
            d = helpers.csum_diff(None, w)
            h.a = u16(d & 0xFFFF)
            return TC_ACT_OK
    """,
    "fresh_load_in_each_iteration": """
        @bpf_program("tc")
        def run(ctx) -> int:
            for i in range(3):
                h = ctx.load(Hdr, 14)
                if h is None:
                    return TC_ACT_OK
                h.a += 1
                helpers.skb_change_tail(ctx, 100)
            return TC_ACT_OK
    """,
}

REFUSED = {
    # the reference from before the loop is stale in the second iteration
    "loop_carried": ("""
        @bpf_program("tc")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 14)
            if h is None:
                return TC_ACT_OK
            for i in range(3):
                h.a += 1
                helpers.skb_change_tail(ctx, 100)
            return TC_ACT_OK
    """, 13),
    # passing the reference to a function that changes the packet
    "passed_to_a_changing_function": ("""
        @bpf_function
        def grow(ctx: XdpContext, h: Hdr) -> None:
            helpers.xdp_adjust_tail(ctx, 4)
        @bpf_program("xdp")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 0)
            if h is None:
                return XDP_DROP
            grow(ctx, h)
            return XDP_PASS
    """, 15),
    # an alias taken before the helper
    "alias": ("""
        @bpf_program("xdp")
        def run(ctx) -> int:
            h = ctx.load(Hdr, 0)
            if h is None:
                return XDP_DROP
            g = h
            helpers.xdp_adjust_meta(ctx, -4)
            return XDP_PASS if g.a == 0 else XDP_DROP
    """, 14),
}


def compile_src(body: str) -> bytes:
    return ebpfpy.compile(source=HEAD + textwrap.dedent(body), filename="case.py")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted(name: str) -> None:
    assert compile_src(ACCEPTED[name])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_at_the_use(name: str) -> None:
    body, line = REFUSED[name]
    with pytest.raises(CompileError) as info:
        compile_src(body)
    errs = [(e.code, e.lineno) for e in info.value.errors]
    assert errs == [("E337", line)], str(info.value)
    assert "load it again" in str(info.value)


def test_variable_offset_start_is_opaque() -> None:
    """Only a variable offset goes through the empty asm; constant offsets stay foldable."""
    ir = ebpfpy.compile(source=HEAD + textwrap.dedent("""
        @bpf_program("xdp")
        def run(ctx) -> int:
            a = ctx.load(Hdr, 0)
            if a is None:
                return XDP_DROP
            b = ctx.load(Hdr, u32(a.a & 63))
            if b is None:
                return XDP_DROP
            return XDP_PASS
    """), filename="case.py", stop_after="ir")
    text = ir if isinstance(ir, str) else str(ir)
    assert text.count('"=r,0"(ptr %"pkt') == 1, text
