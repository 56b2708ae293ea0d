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
    from ebpfpy import bpf_program, HashMap, u32, u64

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
