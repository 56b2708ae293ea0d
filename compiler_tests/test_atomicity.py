"""Which read-modify-writes are atomic: ``m[k] += v`` on a map is one BPF atomic add;
``a[i] += 1`` on a global array (or a field of a map value reached through a reference) is a
load, an add and a store, so two CPUs can lose an update (docs/language.md says so)."""
from __future__ import annotations

import textwrap

import ebpfpy
from ebpfpy.objfile.elf import BpfElf
from ebpfpy.objfile.insn import decode

BPF_STX, BPF_ATOMIC = 0x03, 0xC0

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, helpers, HashMap, u32, u64

    counts = HashMap(u32, u64, max_entries=16)
    hits: u64[4]

    @bpf_program("syscall")
    def main(ctx) -> int:
        BODY
        return 0
''')


def _atomics(body: str) -> int:
    elf = ebpfpy.compile(source=SRC.replace("BODY", body), filename="atomic.py")
    return sum(1 for sec in BpfElf(elf).code_sections for i in decode(sec.data)
               if i.cls == BPF_STX and i.opcode & 0xE0 == BPF_ATOMIC)


def test_map_augmented_assignment_is_one_atomic_add() -> None:
    assert _atomics("counts[u32(1)] += 1") >= 1


def test_global_array_augmented_assignment_is_not_atomic() -> None:
    assert _atomics("hits[1] += 1") == 0


def test_write_through_a_lookup_reference_is_not_atomic() -> None:
    assert _atomics("r = counts.lookup(u32(1))\n    if r is not None:\n        r.value += 1") == 0


BPF_FETCH, BPF_XCHG, BPF_CMPXCHG = 0x01, 0xE1, 0xF1


def _atomic_imms(body: str) -> list[int]:
    """The ``imm`` (operation) of each atomic instruction ``body`` compiles to."""
    elf = ebpfpy.compile(source=SRC.replace("BODY", body), filename="atomic.py")
    return [i.imm for sec in BpfElf(elf).code_sections for i in decode(sec.data)
            if i.cls == BPF_STX and i.opcode & 0xE0 == BPF_ATOMIC]


def test_atomic_helpers_on_a_global_element() -> None:
    # the plain forms are one lock instruction without BPF_FETCH; the fetching forms must
    # carry it (LLVM 22 drops it from a monotonic atomicrmw whose result is used)
    assert _atomic_imms("helpers.atomic_add(hits[1], 2)") == [0x00]
    assert _atomic_imms("helpers.atomic_xor(hits[1], 2)") == [0xA0]
    assert _atomic_imms("return helpers.atomic_fetch_add(hits[1], 2)") == [0x00 | BPF_FETCH]
    assert _atomic_imms("return helpers.atomic_fetch_and(hits[1], 2)") == [0x50 | BPF_FETCH]
    assert _atomic_imms("return helpers.atomic_xchg(hits[1], 2)") == [BPF_XCHG]
    assert _atomic_imms("return helpers.atomic_cmpxchg(hits[1], 0, 2)") == [BPF_CMPXCHG]
