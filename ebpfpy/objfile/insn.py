"""Decode BPF instructions (include/uapi/linux/bpf.h, Documentation/bpf/standardization).

Each 8-byte slot is ``u8 opcode; u8 dst:4, src:4; s16 off; s32 imm`` (little-endian).  The
64-bit immediate load takes two slots; the second slot's imm is the high half.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

# Instruction classes (opcode & 7).
LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = range(8)
CLASS_NAMES = ("ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64")

# Memory access size (opcode & 0x18) and mode (opcode & 0xe0).
SIZE_BYTES = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}
MODE_IMM, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX, MODE_ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0

# src_reg values with special meaning.
PSEUDO_CALL, PSEUDO_KFUNC_CALL = 1, 2
PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_BTF_ID, PSEUDO_FUNC = 1, 2, 3, 4


@dataclass(frozen=True)
class Insn:
    """One decoded instruction; ``imm64`` is set for the two-slot immediate load only."""

    index: int           # slot index in the section
    opcode: int
    dst: int
    src: int
    off: int
    imm: int
    imm64: int | None = None

    @property
    def cls(self) -> int:
        return self.opcode & 0x07

    @property
    def slots(self) -> int:
        """Number of 8-byte slots this instruction takes (2 for ld_imm64)."""
        return 2 if self.imm64 is not None else 1

    @property
    def is_ld_imm64(self) -> bool:
        return self.opcode == (LD | 0x18 | MODE_IMM)

    @property
    def is_call(self) -> bool:
        return self.cls == JMP and self.opcode & 0xF0 == 0x80

    @property
    def is_exit(self) -> bool:
        return self.cls == JMP and self.opcode & 0xF0 == 0x90


def _slot(data: bytes, pos: int) -> tuple[int, int, int, int, int]:
    op, regs, off, imm = struct.unpack_from("<BBhi", data, pos)
    return op, regs & 0x0F, regs >> 4, off, imm


def decode(data: bytes) -> Iterator[Insn]:
    """Decode a code section; a truncated trailing ld_imm64 is reported as a single slot."""
    n = len(data) // 8
    i = 0
    while i < n:
        op, dst, src, off, imm = _slot(data, i * 8)
        if op == (LD | 0x18 | MODE_IMM) and i + 1 < n:
            hi = _slot(data, (i + 1) * 8)[4]
            imm64 = ((hi & 0xFFFFFFFF) << 32) | (imm & 0xFFFFFFFF)
            yield Insn(i, op, dst, src, off, imm, imm64)
            i += 2
            continue
        yield Insn(i, op, dst, src, off, imm)
        i += 1

