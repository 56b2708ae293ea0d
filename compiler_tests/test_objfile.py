"""objfile over a real object: sections, symbols, maps, BTF, .BTF.ext and the grouped listing.

The object comes from hand-written LLVM IR (``ir_object`` in conftest.py), so these tests
depend on llvmlite's BPF backend but not on ebpfpy's compiler.
"""
from __future__ import annotations

import struct

import pytest

from ebpfpy.objfile import Btf, BpfElf, disasm, functions, load_ext, parse_btf_ext

@pytest.fixture(scope="module")
def elf(ir_object: bytes) -> BpfElf:
    return BpfElf(ir_object)


def test_sections_programs_and_maps(elf: BpfElf) -> None:
    assert [s.name for s in elf.code_sections] == [".text", "xdp"]
    assert [(p.name, s.name) for p, s in elf.programs] == [("count", "xdp")]
    assert [m.name for m in elf.maps] == ["counts"]
    assert elf.license == "GPL"
    assert [(f.name, f.section.name) for f in functions(elf)] == [("double_it", ".text"),
                                                                 ("count", "xdp")]


def test_relocations_name_the_map_and_the_callee_section(elf: BpfElf) -> None:
    rels = {r.symbol.name: r.type for r in elf.code_section("xdp").relocations.values()}
    assert rels == {"counts": 1, ".text": 10}   # R_BPF_64_64 (ld_imm64), R_BPF_64_32 (call)


def test_btf_strings_types_and_map_definition(elf: BpfElf) -> None:
    btf = Btf(elf.section_data(".BTF"))
    assert btf.find("FUNC", "count") is not None
    assert btf.find("DATASEC", ".maps") is not None
    assert btf.map_definition("counts") == {"type": 1, "max_entries": 16, "key": "u32",
                                            "value": "u64"}
    assert btf.string(0) == ""
    with pytest.raises(ValueError):
        btf.string(10**6)


def test_func_info_names_every_function(elf: BpfElf) -> None:
    ext = load_ext(elf)
    assert {sec: [(f.insn_off, f.name) for f in fs] for sec, fs in ext.func_info.items()} == {
        ".text": [(0, "double_it")], "xdp": [(0, "count")]}


def test_line_info_quotes_the_python_source(elf: BpfElf, ir_object_source: str) -> None:
    src_lines = ir_object_source.splitlines()
    ext = load_ext(elf)
    lines = ext.line_info["xdp"]
    assert all(li.file_name.endswith("prog.py") for li in lines)
    assert {li.line for li in lines} >= {7, 8, 9, 11, 12}
    for li in lines:
        assert li.line_text == src_lines[li.line - 1]
    offs = [li.insn_off for li in lines]
    assert offs == sorted(offs) and all(o % 8 == 0 for o in offs)   # bytes, not insn indices
    assert max(offs) < len(elf.code_section("xdp").data)


def test_btf_ext_rejects_bad_magic(elf: BpfElf) -> None:
    raw = bytearray(elf.section_data(".BTF.ext"))
    struct.pack_into("<H", raw, 0, 0x1234)
    with pytest.raises(ValueError, match="bad magic"):
        parse_btf_ext(bytes(raw), Btf(elf.section_data(".BTF")))


def test_listing_groups_instructions_under_source_lines(ir_object: bytes) -> None:
    text = disasm(ir_object)
    assert text.startswith("double_it (section .text):\n; def double_it(x: i32) -> i32:  # prog.py:4\n")
    block = text.split("\n\n")[1].splitlines()
    assert block[0] == "count (section xdp):"
    headers = [ln for ln in block if ln.startswith(";")]
    assert headers[:2] == ["; def count(ctx) -> int:  # prog.py:7",
                           "; v = counts.lookup(7)  # prog.py:8"]
    assert "; v.value += 1  # prog.py:11" in headers
    body = "\n".join(block)
    assert "r1 = counts ll" in body
    assert "call bpf_map_lookup_elem" in body
    assert "lock *(u64 *)(r0 + 0) += r1" in body
    assert "<double_it>" in body.split("; return double_it(3)")[1]
    assert block[-1].endswith(": exit")


def test_listing_of_one_program_includes_its_callees(ir_object: bytes) -> None:
    text = disasm(ir_object, program="count")
    assert [b.splitlines()[0] for b in text.strip().split("\n\n")] == [
        "double_it (section .text):", "count (section xdp):"]
    assert disasm(ir_object, program="xdp") == text        # by section name as well


def test_unknown_program_names_the_real_ones(ir_object: bytes) -> None:
    with pytest.raises(KeyError, match="programs: count"):
        disasm(ir_object, program="nope")


def test_not_an_object_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not an ELF"):
        BpfElf(b"hello")
