"""The instruction formatter, one encoded instruction at a time.

Each row is the raw little-endian encoding and the expected text.  The encodings were
produced by LLVM's BPF assembler (-mcpu=v4) and the texts cross-checked against
``llvm-objdump -d --mattr=+alu32`` (which prints hex immediates; ours are decimal).
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebpfpy.objfile import decode, format_insn, helper_id, helper_name
from ebpfpy.objfile.fmt import Names

ENCODED = [
    ('b701000005000000', 'r1 = 5'),
    ('b4020000f9ffffff', 'w2 = -7'),
    ('bf13000000000000', 'r3 = r1'),
    ('bc24000000000000', 'w4 = w2'),
    ('0701000003000000', 'r1 += 3'),
    ('1c21000000000000', 'w1 -= w2'),
    ('2f21000000000000', 'r1 *= r2'),
    ('3701000003000000', 'r1 /= 3'),
    ('9c31000000000000', 'w1 %= w3'),
    ('3f21010000000000', 'r1 s/= r2'),
    ('9401010005000000', 'w1 s%= 5'),
    ('47010000ff000000', 'r1 |= 255'),
    ('5f21000000000000', 'r1 &= r2'),
    ('6701000002000000', 'r1 <<= 2'),
    ('7c21000000000000', 'w1 >>= w2'),
    ('c70100003f000000', 'r1 s>>= 63'),
    ('af11000000000000', 'r1 ^= r1'),
    ('8701000000000000', 'r1 = -r1'),
    ('8401000000000000', 'w1 = -w1'),
    ('dc01000010000000', 'r1 = be16 r1'),
    ('d401000020000000', 'r1 = le32 r1'),
    ('dc01000040000000', 'r1 = be64 r1'),
    ('d701000010000000', 'r1 = bswap16 r1'),
    ('bf21080000000000', 'r1 = (s8)r2'),
    ('bf21100000000000', 'r1 = (s16)r2'),
    ('bf21200000000000', 'r1 = (s32)r2'),
    ('bc21080000000000', 'w1 = (s8)w2'),
    ('bc21100000000000', 'w1 = (s16)w2'),
    ('71a1f8ff00000000', 'r1 = *(u8 *)(r10 - 8)'),
    ('69a1f8ff00000000', 'r1 = *(u16 *)(r10 - 8)'),
    ('79a1f8ff00000000', 'r1 = *(u64 *)(r10 - 8)'),
    ('91a1f8ff00000000', 'r1 = *(s8 *)(r10 - 8)'),
    ('89a1f8ff00000000', 'r1 = *(s16 *)(r10 - 8)'),
    ('81a1f8ff00000000', 'r1 = *(s32 *)(r10 - 8)'),
    ('720af8ff01000000', '*(u8 *)(r10 - 8) = 1'),
    ('6b1af8ff00000000', '*(u16 *)(r10 - 8) = r1'),
    ('7a0af0fffdffffff', '*(u64 *)(r10 - 16) = -3'),
    ('c31af8ff00000000', 'lock *(u32 *)(r10 - 8) += w1'),
    ('db1af8ff50000000', 'lock *(u64 *)(r10 - 8) &= r1'),
    ('c31af8ffa0000000', 'lock *(u32 *)(r10 - 8) ^= w1'),
    ('c31af8ff51000000', 'w1 = atomic_fetch_and((u32 *)(r10 - 8), w1)'),
    ('db1af8ffa1000000', 'r1 = atomic_fetch_xor((u64 *)(r10 - 8), r1)'),
    ('db1af8ff41000000', 'r1 = atomic_fetch_or((u64 *)(r10 - 8), r1)'),
    ('c31af8ffe1000000', 'w1 = xchg32_32(r10 - 8, w1)'),
    ('c31af8fff1000000', 'w0 = cmpxchg32_32(r10 - 8, w0, w1)'),
    ('1601010003000000', 'if w1 == 3 goto +1'),
    ('6e21010000000000', 'if w1 s> w2 goto +1'),
    ('4501010008000000', 'if r1 & 8 goto +1'),
    ('5d21ffff00000000', 'if r1 != r2 goto -1'),
    ('d5010000feffffff', 'if r1 s<= -2 goto +0'),
    ('a601000003000000', 'if w1 < 3 goto +0'),
    ('be21000000000000', 'if w1 <= w2 goto +0'),
    ('7d21000000000000', 'if r1 s>= r2 goto +0'),
    ('3501000009000000', 'if r1 >= 9 goto +0'),
    ('0600000001000000', 'gotol +1'),
    ('0500000000000000', 'goto +0'),
    ('3000000004000000', 'r0 = *(u8 *)skb[4]'),
    ('18010000efcdab890000000067452301', 'r1 = 0x123456789abcdef ll'),
    ('b700000000000000', 'r0 = 0'),
    ('b400000000000000', 'w0 = 0'),
    ('9500000000000000', 'exit'),
]


@pytest.mark.parametrize("raw,text", ENCODED, ids=[t for _, t in ENCODED])
def test_format_matches_reference(raw: str, text: str) -> None:
    (insn,) = list(decode(bytes.fromhex(raw)))
    assert format_insn(insn) == text


def test_ld_imm64_takes_two_slots_and_joins_halves() -> None:
    raw = bytes.fromhex("18010000efcdab890000000067452301" + "9500000000000000")
    insns = list(decode(raw))
    assert [i.index for i in insns] == [0, 2]
    assert insns[0].imm64 == 0x0123456789ABCDEF and insns[0].slots == 2
    assert format_insn(insns[1]) == "exit"


def test_ld_imm64_with_relocation_prints_symbol() -> None:
    (insn,) = list(decode(bytes.fromhex("18010000000000000000000000000000")))
    assert format_insn(insn, Names(relocs={0: "counts"})) == "r1 = counts ll"


@pytest.mark.parametrize("helper,name", [
    (1, "bpf_map_lookup_elem"), (2, "bpf_map_update_elem"), (3, "bpf_map_delete_elem"),
    (5, "bpf_ktime_get_ns"), (6, "bpf_trace_printk"), (12, "bpf_tail_call"),
    (14, "bpf_get_current_pid_tgid"), (16, "bpf_get_current_comm"), (112, "bpf_probe_read_user"),
    (113, "bpf_probe_read_kernel"), (125, "bpf_ktime_get_boot_ns"), (130, "bpf_ringbuf_output"),
    (169, "bpf_timer_init"), (172, "bpf_timer_cancel"), (181, "bpf_loop"),
    (211, "bpf_cgrp_storage_delete")])
def test_helper_calls_are_named(helper: int, name: str) -> None:
    raw = bytes([0x85, 0, 0, 0]) + helper.to_bytes(4, "little")
    (insn,) = list(decode(raw))
    assert format_insn(insn) == f"call {name}"
    assert helper_id(name) == helper


def test_unknown_helper_and_opcode_do_not_crash() -> None:
    assert helper_name(999) == "helper#999"
    (insn,) = list(decode(bytes.fromhex("ff00000000000000")))
    assert "invalid opcode 0xff" in format_insn(insn)


def test_pseudo_call_names_its_target() -> None:
    (insn,) = list(decode(bytes.fromhex("8510000003000000")))
    assert format_insn(insn) == "call pc+3"
    assert format_insn(insn, Names(call_targets={0: "helper_fn"})) == "call pc+3 <helper_fn>"


def test_may_goto() -> None:
    (insn,) = list(decode(bytes.fromhex("e500020000000000")))
    assert format_insn(insn) == "may_goto +2"


@given(st.binary(min_size=8, max_size=8 * 16))
@settings(max_examples=500, deadline=None)
def test_any_bytes_decode_and_format_without_crashing(raw: bytes) -> None:
    insns = list(decode(raw))
    assert sum(i.slots for i in insns) == len(raw) // 8
    for i in insns:
        text = format_insn(i, Names(relocs={i.index: "sym"}, call_targets={i.index: "fn"}))
        assert text and "\n" not in text
