"""Render one decoded instruction in the llvm-objdump / bpftool notation.

``r1 = *(u32 *)(r1 + 0)``, ``if r1 > 5 goto +3``, ``call bpf_map_lookup_elem``.  Immediates
print in decimal; 32-bit ALU and JMP32 operands print as ``wN``.  Names for relocated and
called things come from ``Names``, supplied by the caller that knows the section.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .helpers import helper_name
from .insn import (ALU, ALU64, JMP, JMP32, LD, LDX, MODE_ABS, MODE_ATOMIC, MODE_IND, MODE_MEM,
                   MODE_MEMSX, PSEUDO_CALL, PSEUDO_KFUNC_CALL, SIZE_BYTES, ST, STX, Insn)

ALU_OPS = {0x00: "+=", 0x10: "-=", 0x20: "*=", 0x30: "/=", 0x40: "|=", 0x50: "&=", 0x60: "<<=",
           0x70: ">>=", 0x90: "%=", 0xA0: "^=", 0xC0: "s>>="}
JMP_OPS = {0x10: "==", 0x20: ">", 0x30: ">=", 0x40: "&", 0x50: "!=", 0x60: "s>", 0x70: "s>=",
           0xA0: "<", 0xB0: "<=", 0xC0: "s<", 0xD0: "s<="}
ATOMIC_OPS = {0x00: "add", 0x40: "or", 0x50: "and", 0xA0: "xor"}
ATOMIC_SYM = {0x00: "+=", 0x40: "|=", 0x50: "&=", 0xA0: "^="}
FETCH, XCHG, CMPXCHG, LOAD_ACQ, STORE_REL = 0x01, 0xE1, 0xF1, 0x100, 0x110


@dataclass
class Names:
    """What the formatter cannot know from the instruction alone.

    ``relocs``: slot index → symbol text for ld_imm64 and call relocations;
    ``call_targets``: slot index → name of the function a ``call pc+N`` reaches.
    """

    relocs: dict[int, str] = field(default_factory=dict)
    call_targets: dict[int, str] = field(default_factory=dict)


def _reg(n: int, wide: bool) -> str:
    return f"r{n}" if wide else f"w{n}"


def _mem(reg: int, off: int) -> str:
    return f"r{reg} {'-' if off < 0 else '+'} {abs(off)}"


def _size(op: int, signed: bool = False) -> str:
    return f"{'s' if signed else 'u'}{SIZE_BYTES[op & 0x18] * 8}"


def _alu(i: Insn) -> str:
    wide = i.cls == ALU64
    code, use_reg = i.opcode & 0xF0, bool(i.opcode & 0x08)
    d = _reg(i.dst, wide)
    s = _reg(i.src, wide) if use_reg else str(i.imm)
    if code == 0x80:
        return f"{d} = -{d}"
    if code == 0xD0:  # byte swaps: ALU to_le/to_be, ALU64 unconditional bswap (v4)
        kind = "bswap" if wide else ("be" if use_reg else "le")
        return f"r{i.dst} = {kind}{i.imm} r{i.dst}"
    if code == 0xB0:
        if use_reg and i.off in (8, 16, 32):  # movsx (v4)
            return f"{d} = (s{i.off}){_reg(i.src, wide)}"
        return f"{d} = {s}"
    if code in (0x30, 0x90) and i.off == 1:  # sdiv / smod (v4)
        return f"{d} s{ALU_OPS[code]} {s}"
    op = ALU_OPS.get(code)
    return f"{d} {op} {s}" if op else _unknown(i)


def _jmp(i: Insn, names: Names) -> str:
    code = i.opcode & 0xF0
    wide = i.cls == JMP
    if code == 0x00:
        return f"goto {i.off:+d}" if wide else f"gotol {i.imm:+d}"
    if code == 0x80 and wide:
        return _call(i, names)
    if code == 0x90 and wide:
        return "exit"
    if code == 0xE0 and wide and i.src == 0:
        return f"may_goto {i.off:+d}"
    op = JMP_OPS.get(code)
    if op is None:
        return _unknown(i)
    rhs = _reg(i.src, wide) if i.opcode & 0x08 else str(i.imm)
    return f"if {_reg(i.dst, wide)} {op} {rhs} goto {i.off:+d}"


def _call(i: Insn, names: Names) -> str:
    if i.src == PSEUDO_CALL:
        target = names.call_targets.get(i.index)
        return f"call pc{i.imm:+d}" + (f" <{target}>" if target else "")
    if i.src == PSEUDO_KFUNC_CALL:
        return f"call {names.relocs.get(i.index, f'kfunc#{i.imm}')}"
    return f"call {helper_name(i.imm)}"


def _ld(i: Insn, names: Names) -> str:
    mode = i.opcode & 0xE0
    if i.is_ld_imm64:
        sym = names.relocs.get(i.index)
        if sym is not None:
            return f"r{i.dst} = {sym} ll"
        val = i.imm64 or 0
        return f"r{i.dst} = {val if val < 1 << 16 else hex(val)} ll"
    if mode in (MODE_ABS, MODE_IND):  # legacy packet loads
        where = str(i.imm) if mode == MODE_ABS else f"r{i.src} + {i.imm}"
        return f"r0 = *({_size(i.opcode)} *)skb[{where}]"
    return _unknown(i)


def _atomic(i: Insn) -> str:
    wide = i.opcode & 0x18 == 0x18
    ptr, s, d = f"({_size(i.opcode)} *)({_mem(i.dst, i.off)})", _reg(i.src, wide), _mem(i.dst, i.off)
    bits = 64 if wide else 32
    if i.imm == XCHG:
        return f"{s} = xchg{'' if wide else '32'}_{bits}({d}, {s})"
    if i.imm == CMPXCHG:
        r0 = _reg(0, wide)
        return f"{r0} = cmpxchg{'' if wide else '32'}_{bits}({d}, {r0}, {s})"
    if i.imm == LOAD_ACQ:
        return f"{_reg(i.dst, wide)} = load_acquire(({_size(i.opcode)} *)({_mem(i.src, i.off)}))"
    if i.imm == STORE_REL:
        return f"store_release({ptr}, {s})"
    base = i.imm & ~FETCH
    if base not in ATOMIC_OPS:
        return _unknown(i)
    if i.imm & FETCH:
        return f"{s} = atomic_fetch_{ATOMIC_OPS[base]}({ptr}, {s})"
    return f"lock *{ptr} {ATOMIC_SYM[base]} {s}"


def _mem_insn(i: Insn) -> str:
    mode = i.opcode & 0xE0
    if i.cls == LDX and mode in (MODE_MEM, MODE_MEMSX):
        return f"r{i.dst} = *({_size(i.opcode, mode == MODE_MEMSX)} *)({_mem(i.src, i.off)})"
    if i.cls == ST and mode == MODE_MEM:
        return f"*({_size(i.opcode)} *)({_mem(i.dst, i.off)}) = {i.imm}"
    if i.cls == STX and mode == MODE_MEM:
        return f"*({_size(i.opcode)} *)({_mem(i.dst, i.off)}) = r{i.src}"
    if i.cls == STX and mode == MODE_ATOMIC:
        return _atomic(i)
    return _unknown(i)


def _unknown(i: Insn) -> str:
    return f"<invalid opcode {i.opcode:#04x}>"


def format_insn(i: Insn, names: Names | None = None) -> str:
    """The text of one instruction, e.g. ``r1 = *(u32 *)(r1 + 0)``."""
    names = names or Names()
    if i.cls in (ALU, ALU64):
        return _alu(i)
    if i.cls in (JMP, JMP32):
        return _jmp(i, names)
    if i.cls == LD:
        return _ld(i, names)
    return _mem_insn(i)
