"""The text of an llvmlite module, printed faster than ``str(module)`` and identical to it.

llvmlite formats each instruction through several ``str.format`` calls, metadata helpers and
string caches: for a program of ~2000 instructions that is ~12 ms, a sixth of a whole
in-process compile.  Here the instruction kinds the lowering emits are formatted by one
function each, reproducing llvmlite's output byte for byte (spacing quirks included: the
golden IR tests compare it); any other kind, and any instruction with a feature these
functions do not handle, is printed by llvmlite itself.
"""
from __future__ import annotations

from typing import Any, Callable

import llvmlite.ir as ir
from llvmlite.ir import instructions as ins
from llvmlite.ir.values import _escape_string as _escape


def _md(instr: Any) -> str:
    """``, !dbg !N``…: llvmlite's ``_stringify_metadata(leading_comma=True)``."""
    md = instr.metadata
    if not md:
        return ""
    return "".join([f", !{k} {v.get_reference()}" for k, v in md.items()])


def _generic(i: Any) -> str:
    opname = i.opname
    if i.flags:
        opname = " ".join([opname, *i.flags])
    ops = ", ".join([op.get_reference() for op in i.operands])
    return f"{opname} {i.type} {ops}{_md(i)}"


def _load(i: Any) -> str:
    val = i.operands[0]
    align = "" if i.align is None else f", align {i.align:d}"
    return f"load {i.type}, {val.type} {val.get_reference()}{align}{_md(i)}"


def _store(i: Any) -> str:
    val, ptr = i.operands
    align = "" if i.align is None else f", align {i.align:d}"
    return (f"store {val.type} {val.get_reference()}, {ptr.type} {ptr.get_reference()}"
            f"{align}{_md(i)}")


def _gep(i: Any) -> str:
    idx = ", ".join([f"{x.type} {x.get_reference()}" for x in i.indices])
    op = "getelementptr inbounds" if i.inbounds else "getelementptr"
    p = i.pointer
    return f"{op} {i.source_etype}, {p.type} {p.get_reference()}, {idx} {_md(i)}"


def _cast(i: Any) -> str:
    v = i.operands[0]
    return f"{i.opname} {v.type} {v.get_reference()} to {i.type} {_md(i)}"


def _compare(i: Any) -> str:
    lhs, rhs = i.operands
    flags = "".join([" " + f for f in i.flags])
    return (f"{i.opname}{flags} {i.op} {lhs.type} {lhs.get_reference()}, "
            f"{rhs.get_reference()} {_md(i)}")


def _select(i: Any) -> str:
    c, a, b = i.operands
    return (f"select {' '.join(i.flags)} {c.type} {c.get_reference()}, {a.type} "
            f"{a.get_reference()}, {b.type} {b.get_reference()} {_md(i)}")


def _alloca(i: Any) -> str:
    if i.operands or i.align is not None:
        return ""
    return f"{i.opname} {i.allocated_type}{_md(i)}"


def _terminator(i: Any) -> str:
    ops = ", ".join([f"{op.type} {op.get_reference()}" for op in i.operands])
    return f"{i.opname} {ops}{_md(i)}"


def _ret(i: Any) -> str:
    if i.operands:
        v = i.operands[0]
        return f"{i.opname} {v.type} {v.get_reference()}{_md(i)}"
    return f"{i.opname}{_md(i)}"


def _call(i: Any) -> str:
    callee = i.operands[0]
    fnty = callee.function_type
    if (i.arg_attributes or fnty.var_arg or i.cconv or i.tail or i.attributes
            or i.fastmath or not isinstance(callee, ir.Function)):
        return ""
    args = ", ".join([f"{a.type} {a.get_reference()}" for a in i.operands[1:]])
    return f"call {fnty.return_type} {callee.get_reference()}({args}){_md(i)}"


_FORMAT: dict[type, Callable[[Any], str]] = {
    ins.Instruction: _generic,
    ins.LoadInstr: _load,
    ins.StoreInstr: _store,
    ins.GEPInstr: _gep,
    ins.CastInstr: _cast,
    ins.ICMPInstr: _compare,
    ins.SelectInstr: _select,
    ins.AllocaInstr: _alloca,
    ins.Branch: _terminator,
    ins.ConditionalBranch: _terminator,
    ins.Ret: _ret,
    ins.CallInstr: _call,
}


def _instruction(i: Any) -> str:
    """``str(i)`` (llvmlite's ``NamedValue._to_string``), through a fast formatter when one
    applies (an empty string from it means "not this one")."""
    fmt = _FORMAT.get(type(i))
    body = fmt(i) if fmt is not None else ""
    if not body:
        return str(i)
    if isinstance(i.type, ir.VoidType):
        return body.rstrip()
    return f"{i.get_reference()} = {body}".rstrip()


def _function(fn: Any) -> str:
    """``str(fn)``: the prototype (llvmlite's), then the blocks."""
    buf: list[str] = []
    fn.descr_prototype(buf)
    if fn.blocks:
        buf.append("{\n")
        for blk in fn.blocks:
            # Block.descr: the label, then "  <instr>\n" per instruction
            buf.append(f"{blk._format_name()}:\n")
            buf.extend([f"  {_instruction(i)}\n" for i in blk.instructions])
        buf.append("}\n")
    return "".join(buf)


def module_text(module: ir.Module) -> str:
    """``str(module)``, the same text, faster (see the module docstring)."""
    lines = [
        f'; ModuleID = "{module.name}"',
        f'target triple = "{module.triple}"',
        f'target datalayout = "{module.data_layout}"',
        "",
    ]
    lines += [it.get_declaration() for it in module.get_identified_types().values()]
    lines += [_function(v) if type(v) is ir.Function else str(v)
              for v in module.globals.values()]
    lines += [f"!{k} = !{{ {', '.join([i.get_reference() for i in v.operands])} }}"
              for k, v in module.namedmetadata.items()]
    lines += [_metadata(md) for md in module.metadata]
    return "\n".join(lines)


def _metadata(md: Any) -> str:
    """``str(md)`` of a metadata node: ``DIValue.descr`` for the value kinds the debug info
    uses, llvmlite's own printer for anything else (a third of the module's text time)."""
    if type(md) is not ir.DIValue:
        return str(md)
    parts = []
    for key, value in md.operands:
        if value is None:
            text = "null"
        elif value is True:
            text = "true"
        elif value is False:
            text = "false"
        elif type(value) is int:
            text = str(value)
        elif type(value) is str:
            text = f'"{_escape(value)}"'
        elif type(value) is ir.DIToken:
            text = value.value
        elif type(value) is ir.DIValue or type(value) is ir.MDValue:
            text = value.get_reference()
        else:
            return str(md)
        parts.append(f"{key}: {text}")
    distinct = "distinct " if md.is_distinct else ""
    return f"{md.get_reference()} = {distinct}!{md.kind}({', '.join(parts)})"
