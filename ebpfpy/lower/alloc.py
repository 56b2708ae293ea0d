"""Lowering memory a program allocates: ``helpers.obj_new``, ``helpers.obj_drop`` and
``helpers.kptr_xchg``.

``obj_new(T)`` is the kfunc ``bpf_obj_new_impl(local_type_id, NULL)``: the kernel allocates
an object of the program's own BTF type ``T``.  The type id is not known until LLVM writes the
BTF, so it is the intrinsic ``llvm.bpf.btf.type.id`` on ``T``'s debug type, as clang's
``bpf_core_type_id_local(T)`` emits it: LLVM's BPF backend turns it into a ``ld_imm64`` with a
``.BTF.ext`` relocation (``<local_type_id>``) that libbpf resolves when it loads the object.
``kptr_xchg`` is helper 194 on the address of the map value's ``Kptr`` field.
"""
from __future__ import annotations

import ast
import itertools
from typing import Any

import llvmlite.ir as ir

from ..types import StructType
from .context import LowerContext
from .iters import declare_kfunc
from .ltypes import I32, I64, PTR

BPF_FUNC_kptr_xchg = 194
BTF_TYPE_ID_LOCAL = 0                 # enum bpf_type_id_kind
_TYPE_ID = "llvm.bpf.btf.type.id"
_SEQ = itertools.count()               # the intrinsic's sequence numbers must not repeat


def lower_alloc(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    """A call the checker recorded as kind ``alloc``."""
    return _LOWER[call.name](cx, node, call)


def _obj_new(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    st: StructType = call.extra
    fn = _kfunc(cx, "bpf_obj_new_impl")
    p = cx.b.call(fn, [local_type_id(cx, st), ir.Constant(PTR, None)], name="obj")
    return p


def _obj_drop(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    cx.b.call(_kfunc(cx, "bpf_obj_drop_impl"), [cx.expr(node.args[0]), ir.Constant(PTR, None)])
    return ir.Constant(I64, 0)


def _kptr_xchg(cx: LowerContext, node: ast.Call, call: Any) -> ir.Value:
    slot, new = node.args
    value = ir.Constant(PTR, None) if isinstance(new, ast.Constant) else cx.expr(new)
    return cx.helper(BPF_FUNC_kptr_xchg, PTR, [cx.place(slot), value])


def local_type_id(cx: LowerContext, st: StructType) -> ir.Value:
    """The BTF id of ``st`` in this object (a relocated constant)."""
    mod = cx.fn.module
    fn = mod.globals.get(_TYPE_ID)
    if fn is None:
        fn = ir.Function(mod, ir.FunctionType(I64, [I32, I64]), _TYPE_ID)
    seq = next(_SEQ)
    v = cx.b.call(fn, [ir.Constant(I32, seq), ir.Constant(I64, BTF_TYPE_ID_LOCAL)],
                  name="type_id")
    v.set_metadata("llvm.preserve.access.index", cx.ml.di.type_of(st))
    return v


def _kfunc(cx: LowerContext, name: str) -> ir.Function:
    di = cx.ml.di
    void_p = di.pointer(None)
    sigs = {
        "bpf_obj_new_impl": (PTR, [I64, PTR], (void_p, [("local_type_id__k", di.type_of_int(64)),
                                                        ("meta__ign", void_p)])),
        "bpf_obj_drop_impl": (ir.VoidType(), [PTR, PTR], (None, [("p__alloc", void_p),
                                                                 ("meta__ign", void_p)])),
    }
    return declare_kfunc(cx, name, sigs[name])


_LOWER = {"obj_new": _obj_new, "obj_drop": _obj_drop, "kptr_xchg": _kptr_xchg}
