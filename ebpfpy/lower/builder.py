"""The IR builder of a lowered function: llvmlite's, emitting fewer redundant instructions.

Every read of a local is a load from its stack slot and every ``s.v[i]`` a fresh GEP chain;
LLVM's mem2reg/SROA and GVN remove the repeats, but only after they were built, printed,
parsed and optimised: sortnet's 63 compare-exchanges made 125 KB of IR, a third of it
reloads of ``s``, ``a`` and ``b`` and repeated GEPs.  Within one basic block this builder

- answers a load from a *tracked* slot (a local's alloca whose address never escapes) with
  the value last stored to it or loaded from it there: what mem2reg would make of it;
- answers a GEP with the same base, element type and indices as an earlier one in the
  block with that earlier GEP (a GEP is pure, and an earlier instruction of the same
  block dominates the later one);
- drops a store to a tracked slot that a later store of the block overwrites before
  anything reads the slot (sortnet's ``a = s.v[i]; b = s.v[j]`` stored ``a`` and ``b``
  252 times for one final value each), as mem2reg would.

A slot stops being tracked, for good, as soon as it appears in any instruction other than
as the address of a load or store (passed to a helper or an asm, GEP'd, stored as a value):
memory reachable through an escaped address may change under any later call or store.
Loads and stores of untracked memory are emitted as they are; the optimised IR is the one
LLVM made before, since the forwarding is the one mem2reg does anyway.
"""
from __future__ import annotations

from typing import Any

import llvmlite.ir as ir
from llvmlite.ir import instructions as ins


class LowerBuilder(ir.IRBuilder):
    """``ir.IRBuilder`` with per-block forwarding of tracked slots and GEP reuse."""

    def __init__(self, block: ir.Block) -> None:
        super().__init__(block)
        self._tracked: set[int] = set()          # id() of slots never seen escaping
        self._slots: dict[int, ir.Value] = {}     # id -> slot (keeps the object alive)
        self._values: dict[tuple[int, int], ir.Value] = {}     # (block, slot) -> value
        self._geps: dict[tuple[Any, ...], ir.Value] = {}
        self._stored: dict[tuple[int, int], ir.Instruction] = {}    # (block, slot) -> store

    def track(self, slot: ir.Value) -> None:
        """Forward loads of ``slot`` within a block while its address does not escape."""
        self._tracked.add(id(slot))
        self._slots[id(slot)] = slot

    def _insert(self, instr: ir.Instruction) -> None:
        if self._tracked:
            ops = instr.operands
            if isinstance(instr, ins.LoadInstr):
                pass                                # the address operand: not an escape
            elif isinstance(instr, ins.StoreInstr):
                if id(ops[0]) in self._tracked:     # the slot's address stored somewhere
                    self._escape(ops[0])
            else:
                for op in ops:
                    if id(op) in self._tracked:
                        self._escape(op)
        super()._insert(instr)

    def _escape(self, slot: ir.Value) -> None:
        self._tracked.discard(id(slot))
        for key in [k for k in self._values if k[1] == id(slot)]:
            del self._values[key]
        for key in [k for k in self._stored if k[1] == id(slot)]:
            del self._stored[key]

    def load(self, ptr: ir.Value, name: str = "", align: Any = None,
             typ: Any = None) -> ir.Value:
        """``load``, or the value the slot is known to hold in this block."""
        if id(ptr) not in self._tracked or align is not None or not self._at_end():
            return super().load(ptr, name=name, align=align, typ=typ)
        key = (id(self.block), id(ptr))
        known = self._values.get(key)
        if known is not None and known.type == typ:
            return known
        v = super().load(ptr, name=name, typ=typ)
        self._values[key] = v
        return v

    def store(self, value: ir.Value, ptr: ir.Value, align: Any = None) -> ir.Instruction:
        """``store``; a tracked slot then holds ``value`` for the rest of the block."""
        st = super().store(value, ptr, align=align)
        if id(ptr) in self._tracked:
            key = (id(self.block), id(ptr))
            if self._at_end():
                self._values[key] = value
                earlier = self._stored.get(key)
                if earlier is not None:
                    self._drop_overwritten(earlier, ptr)
                self._stored[key] = st
            else:                                   # inserted before later code: unknown
                self._values.pop(key, None)
                self._stored.pop(key, None)
        return st

    def _drop_overwritten(self, earlier: ir.Instruction, slot: ir.Value) -> None:
        """Remove ``earlier``, a store to ``slot`` that the store just appended overwrites,
        unless an instruction between the two may read the slot: one that names it (a
        load, from any builder) or a call other than an intrinsic's."""
        instrs = self.block.instructions
        for i in range(len(instrs) - 2, -1, -1):
            between = instrs[i]
            if between is earlier:
                del instrs[i]
                self._anchor -= 1
                return
            if any(op is slot for op in between.operands) or (
                    isinstance(between, ins.CallInstr)
                    and not getattr(between.callee, "name", "").startswith("llvm.")):
                return

    def _at_end(self) -> bool:
        return self._anchor == len(self.block.instructions)

    def gep(self, ptr: ir.Value, indices: Any, inbounds: bool = False, name: str = "",
            source_etype: Any = None) -> ir.Value:
        """``getelementptr``, or the same one made earlier in this block."""
        key = (id(self.block), id(ptr), inbounds, str(source_etype),
               *[(i.type.width, i.constant) if isinstance(i, ir.Constant) else id(i)
                 for i in indices])
        g = self._geps.get(key)
        if g is None or not self._at_end():
            g = super().gep(ptr, indices, inbounds=inbounds, name=name, source_etype=source_etype)
            self._geps[key] = g
        return g
