"""LowerBuilder: loads of tracked slots forwarded within a block, GEPs reused, escapes honoured."""
from __future__ import annotations

import llvmlite.ir as ir

import ebpfpy
from ebpfpy.lower.builder import LowerBuilder

I32 = ir.IntType(32)
PTR = ir.PointerType()


def _builder() -> tuple[ir.Function, LowerBuilder, ir.Value]:
    mod = ir.Module()
    fn = ir.Function(mod, ir.FunctionType(I32, [I32]), "f")
    b = LowerBuilder(fn.append_basic_block("body"))
    slot = b.alloca(I32, name="x")
    slot.type = PTR
    return fn, b, slot


def _loads(fn: ir.Function) -> int:
    return sum(isinstance(i, ir.LoadInstr) for bb in fn.blocks for i in bb.instructions)


def test_a_tracked_slot_forwards_the_stored_value_within_the_block() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    assert b.load(slot, typ=I32) is fn.args[0]
    v = b.add(fn.args[0], ir.Constant(I32, 1))
    b.store(v, slot)
    assert b.load(slot, typ=I32) is v
    assert _loads(fn) == 0


def test_a_load_is_reused_until_the_next_store() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    first = b.load(slot, typ=I32)
    assert b.load(slot, typ=I32) is first
    b.store(ir.Constant(I32, 7), slot)
    assert str(b.load(slot, typ=I32)) == str(ir.Constant(I32, 7))
    assert _loads(fn) == 1


def test_another_block_loads_again() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    nxt = fn.append_basic_block("next")
    b.branch(nxt)
    b.position_at_end(nxt)
    v = b.load(slot, typ=I32)
    assert isinstance(v, ir.LoadInstr)


def test_an_escaped_slot_is_never_forwarded_again() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    helper = ir.Function(fn.module, ir.FunctionType(ir.VoidType(), [PTR]), "writes_it")
    b.call(helper, [slot])                  # may write the slot
    assert isinstance(b.load(slot, typ=I32), ir.LoadInstr)
    b.store(fn.args[0], slot)
    assert isinstance(b.load(slot, typ=I32), ir.LoadInstr)      # still not tracked


def test_an_untracked_slot_always_loads() -> None:
    fn, b, slot = _builder()
    b.store(fn.args[0], slot)
    assert isinstance(b.load(slot, typ=I32), ir.LoadInstr)


def test_a_load_of_another_type_is_not_forwarded() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    assert isinstance(b.load(slot, typ=ir.IntType(8)), ir.LoadInstr)


def test_geps_are_reused_within_a_block_only() -> None:
    fn, b, slot = _builder()
    arr = ir.ArrayType(I32, 4)
    base = b.alloca(arr, name="a")
    idx = [ir.Constant(ir.IntType(64), 0), ir.Constant(ir.IntType(64), 2)]
    g1 = b.gep(base, idx, inbounds=True, source_etype=arr)
    same = [ir.Constant(ir.IntType(64), 0), ir.Constant(ir.IntType(64), 2)]
    assert b.gep(base, same, inbounds=True, source_etype=arr) is g1
    other = [ir.Constant(ir.IntType(64), 0), ir.Constant(ir.IntType(64), 3)]
    assert b.gep(base, other, inbounds=True, source_etype=arr) is not g1
    assert b.gep(base, same, inbounds=False, source_etype=arr) is not g1
    nxt = fn.append_basic_block("next")
    b.branch(nxt)
    b.position_at_end(nxt)
    assert b.gep(base, same, inbounds=True, source_etype=arr) is not g1


def test_a_store_inserted_before_later_code_forgets_the_value() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    first = b.load(slot, typ=I32)
    b.ret(first)
    b.position_before(fn.blocks[0].instructions[-1])
    b.store(ir.Constant(I32, 3), slot)
    b.position_at_end(fn.blocks[0])
    assert b.load(slot, typ=I32) is not first


SORT3 = '''
from ebpfpy import bpf_program, u32, XDP_PASS

@bpf_program("xdp")
def sort3(ctx) -> int:
    a = u32(ctx.data_end - ctx.data)
    b = a * 7 % 5
    c = a % 3
    x = min(a, b); y = max(a, b); a = x; b = y
    x = min(b, c); y = max(b, c); b = x; c = y
    x = min(a, b); y = max(a, b); a = x; b = y
    return a + b * 10 + c * 100
'''


def test_locals_read_after_a_store_emit_no_reload() -> None:
    ir_text = ebpfpy.compile(source=SORT3, filename="sort3.py", stop_after="ir")
    body = ir_text.split("define i32 @\"sort3\"", 1)[1]
    # every read of a, b, c, x, y follows a store in the same block: no load of their slots
    for name in "abcxy":
        assert f'load i32, ptr %"{name}"' not in body, name
    assert body.count("call i32 @\"llvm.umin.i32\"") == 3
    assert body.count("call i32 @\"llvm.umax.i32\"") == 3


def _stores(fn: ir.Function, slot: ir.Value) -> list[ir.Instruction]:
    return [i for bb in fn.blocks for i in bb.instructions
            if isinstance(i, ir.StoreInstr) and i.operands[1] is slot]


def test_a_store_overwritten_unread_in_the_block_is_dropped() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    assert b.load(slot, typ=I32) is fn.args[0]          # forwarded: the store is not read
    v = b.add(fn.args[0], ir.Constant(I32, 1))
    b.store(v, slot)
    assert [s.operands[0] for s in _stores(fn, slot)] == [v]
    b.ret(b.load(slot, typ=I32))                        # the builder still appends at the end
    assert isinstance(fn.blocks[0].instructions[-1], ir.Ret)


def test_a_store_read_by_a_load_before_the_next_store_is_kept() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    b.load(slot, typ=ir.IntType(8))                     # another type: a real load reads it
    b.store(ir.Constant(I32, 2), slot)
    assert len(_stores(fn, slot)) == 2


def test_a_store_before_a_call_that_is_not_an_intrinsic_is_kept() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    other = ir.Function(fn.module, ir.FunctionType(ir.VoidType(), []), "helper")
    b.call(other, [])
    b.store(ir.Constant(I32, 2), slot)
    assert len(_stores(fn, slot)) == 2
    umin = ir.Function(fn.module, ir.FunctionType(I32, [I32, I32]), "llvm.umin.i32")
    m = b.call(umin, [fn.args[0], ir.Constant(I32, 5)])
    b.store(m, slot)                                    # over an intrinsic: the 2 is dropped
    assert [s.operands[0] for s in _stores(fn, slot)][1:] == [m]


def test_stores_in_different_blocks_are_kept() -> None:
    fn, b, slot = _builder()
    b.track(slot)
    b.store(fn.args[0], slot)
    nxt = fn.append_basic_block("next")
    b.branch(nxt)
    b.position_at_end(nxt)
    b.store(ir.Constant(I32, 2), slot)
    assert len(_stores(fn, slot)) == 2


def test_sortnet_like_swaps_store_each_local_once_per_block() -> None:
    ir_text = ebpfpy.compile(source=SORT3, filename="sort3.py", stop_after="ir")
    body = ir_text.split("define i32 @\"sort3\"", 1)[1].split("\n}", 1)[0]
    block = body.split("body:", 1)[1]
    for name in "abxy":                                 # assigned 3-4 times, read in between
        assert block.count(f'ptr %"{name}",') == 1, name
