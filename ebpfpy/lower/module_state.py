"""What every function's lowering shares: the LLVM module, types, debug info and symbols.

``ModuleState`` also emits the module-level parts (maps, globals, license, BTF type carriers)
and declares every function, so bodies can call one another in any order.
"""
from __future__ import annotations

from typing import Any

import llvmlite.ir as ir

from ..model.sections import kind_of
from ..model.typed import CheckedModule, FuncInfo
from ..model.kernel_types import KernelStruct
from ..types import BOOL, IntType, StructType
from .abi import RESULT_PARAM, returns_object
from .debuginfo import DebugInfo, DebugModule
from .ltypes import DATA_LAYOUT, I8, I32, PTR, TypeMap

BPF_F_MMAPABLE = 1 << 10


class ModuleState:
    """Holds what every function lowering shares: the module, types, debug info, symbols."""

    def __init__(self, checked: CheckedModule) -> None:
        self.checked = checked
        self.info = checked.info
        self.module = DebugModule(name=self.info.src.filename, context=ir.Context())
        self.module.triple = "bpfel"
        self.module.data_layout = DATA_LAYOUT
        self.types = TypeMap(self.module)
        self.di = DebugInfo(self.module, self.info.src.filename, self.info.src.text)
        self.maps: dict[str, ir.GlobalVariable] = {}
        self.globals: dict[str, ir.GlobalVariable] = {}
        self.functions: dict[str, ir.Function] = {}
        self.subprograms: dict[str, Any] = {}
        self._strings: dict[str, ir.GlobalVariable] = {}
        self._used: list[ir.Function] = []
        self.core: Any = None          # core.CoreTypes, made when a function reads a kernel struct
        self._map_types: dict[tuple[Any, ...], tuple[ir.Type, Any]] = {}

    def declare_all(self) -> None:
        """Emit the maps, globals, license and type carriers; declare every function."""
        for m in self.info.maps.values():
            self._map(m)
        for g in self.info.globals.values():
            self._global(g)
        self._license()
        self._type_carriers()
        for name in self.checked.order:
            self._declare(self.checked.funcs[name])

    # ------------------------------------------------------------------ maps
    def _map(self, m: Any) -> None:
        mt = m.type
        shape = (mt.kind, mt.key, mt.value, mt.max_entries, m.mmapable)
        if shape not in self._map_types:      # maps of one shape share their BTF struct
            self._map_types[shape] = self._map_type(mt, m.mmapable)
        sty, dtype = self._map_types[shape]
        gv = ir.GlobalVariable(self.module, sty, m.name)
        gv.section = ".maps"
        gv.initializer = ir.Constant(sty, None)
        gv.align = 8
        self.di.global_var(gv, m.name, dtype, m.node.lineno)
        self.maps[m.name] = gv

    def _map_type(self, mt: Any, mmapable: bool) -> tuple[ir.Type, Any]:
        """The IR struct of a BTF-defined map and its debug type."""
        di = self.di
        cint = di.c_int()

        def num(n: int) -> Any:      # int (*name)[n]: how BTF-defined maps spell numbers
            return di.pointer(di.array(cint, [n], 32))
        members: list[tuple[str, Any]] = [("type", num(mt.kind.type_id))]
        if mt.kind.btf_sizes:
            # sizes, not types: the kernel keeps no BTF for these maps' keys and values
            members += [("key_size", num(mt.key.size if mt.key else 4)),
                        ("value_size", num(mt.value.size if mt.value else 4))]
        elif mt.kind.keyed:
            members += [("key", di.pointer(di.type_of(mt.key))),
                        ("value", di.pointer(di.type_of(mt.value)))]
        if mt.max_entries:        # a PerfEventArray without one gets a slot per CPU (libbpf)
            members.append(("max_entries", num(mt.max_entries)))
        if mmapable:
            members.append(("map_flags", num(BPF_F_MMAPABLE)))
        sty = ir.LiteralStructType([PTR] * len(members))
        dtype = di.struct(None, [(n, t, 64, 64 * i) for i, (n, t) in enumerate(members)],
                          64 * len(members))
        return sty, dtype

    # ------------------------------------------------------------------ globals
    def _global(self, g: Any) -> None:
        lt = self.types.mem(g.type)
        gv = ir.GlobalVariable(self.module, lt, g.name)
        if g.kconfig:
            # libbpf's `extern T NAME __kconfig __weak`: a declaration in .kconfig, which
            # libbpf fills from the running kernel (an option it lacks reads as zero); BTF
            # describes it as an extern VAR in a .kconfig DATASEC
            gv.linkage = "extern_weak"
            gv.section = ".kconfig"
            gv.align = max(g.type.align, 1)
            self.di.global_var(gv, g.name, self.di.type_of(g.type), g.node.lineno,
                               definition=False)
            self.globals[g.name] = gv
            return
        if isinstance(g.type, IntType) or g.type is BOOL:
            gv.initializer = ir.Constant(lt, g.init)
        else:
            gv.initializer = ir.Constant(lt, None)
        if g.const:
            # libbpf's `const volatile`: a constant in .rodata, which libbpf freezes at load so
            # the verifier knows its value.  LLVM must never fold the initial value, which
            # userspace replaces before load: scalars are read with volatile loads, arrays
            # through an address LLVM cannot trace back to the constant (memory.load_config).
            gv.global_constant = True
            gv.section = ".rodata"
        else:
            gv.section = ".data" if g.init else ".bss"
        gv.align = max(g.type.align, 1)
        self.di.global_var(gv, g.name, self.di.type_of(g.type), g.node.lineno)
        self.globals[g.name] = gv

    def _license(self) -> None:
        data = bytearray(self.info.license.encode() + b"\0")
        lt = ir.ArrayType(I8, len(data))
        gv = ir.GlobalVariable(self.module, lt, "LICENSE")
        gv.section = "license"
        gv.initializer = ir.Constant(lt, data)
        gv.align = 1

    def _type_carriers(self) -> None:
        """Put every @struct and each ring buffer's record type into the object's BTF.

        BTF keeps only types reachable from maps, globals and function signatures, so a
        struct used only on the stack (a ring-buffer record) would vanish and
        ``load(elf_bytes)`` could not decode it.  Never-called static functions carry them,
        with parameters named ``event__<map>`` and ``struct__<name>``.
        """
        params: list[tuple[str, Any]] = []
        for m in self.info.maps.values():
            if m.type.kind.records and m.event is not None:
                params.append((f"event__{m.name}", m.event))
        params += [(f"struct__{n}", st) for n, st in self.info.structs.items()]
        for k in range(0, len(params), MAX_ARGS):
            chunk = params[k:k + MAX_ARGS]
            fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [PTR] * len(chunk)),
                             f"{TYPE_CARRIER}{k // MAX_ARGS}")
            fn.linkage = "internal"
            fn.attributes.add("nounwind")
            fn.attributes.add("noinline")
            fn.attributes.add("optnone")
            for arg, (pname, _t) in zip(fn.args, chunk):
                arg.name = pname
            sp = self.di.subprogram(fn.name, 1, None, [(pname, self.di.pointer(self.di.type_of(t)))
                                                        for pname, t in chunk], local=True)
            fn.set_metadata("dbg", sp)
            b = ir.IRBuilder(fn.append_basic_block("entry"))
            b.debug_metadata = self.di.location(1, 1, sp)
            b.ret_void()
            self._used.append(fn)
        if self._used:
            arr_t = ir.ArrayType(PTR, len(self._used))
            used = ir.GlobalVariable(self.module, arr_t, "llvm.compiler.used")
            used.linkage = "appending"
            used.section = "llvm.metadata"
            used.initializer = ir.Constant(arr_t, self._used)

    def cstring(self, text: str) -> ir.GlobalVariable:
        """A read-only NUL-terminated string in ``.rodata`` (printk formats)."""
        if text in self._strings:
            return self._strings[text]
        data = bytearray(text.encode() + b"\0")
        lt = ir.ArrayType(I8, len(data))
        gv = ir.GlobalVariable(self.module, lt, f".str.{len(self._strings)}")
        gv.global_constant = True
        gv.linkage = "private"
        gv.section = ".rodata"
        gv.initializer = ir.Constant(lt, data)
        gv.align = 1
        self._strings[text] = gv
        return gv

    # ------------------------------------------------------------------ functions
    def ret_type(self, fi: FuncInfo) -> ir.Type:
        """The LLVM return type of ``fi`` (objects are returned through a pointer: void)."""
        if fi.fdef.section is not None:
            return I32
        if fi.ret is None or returns_object(fi):
            return ir.VoidType()
        return self.types.reg(fi.ret)

    def _declare(self, fi: FuncInfo) -> None:
        params = [self.types.reg(p.type) if p.mode == "value" else PTR for p in fi.params]
        if fi.is_callback:
            params = [PTR if i == 0 else t for i, t in enumerate(params)]
        if returns_object(fi):
            params.append(PTR)          # where the caller wants the result
        fnty = ir.FunctionType(self.ret_type(fi), params)
        fn = ir.Function(self.module, fnty, fi.name)
        fn.attributes.add("nounwind")
        for arg, p in zip(fn.args, fi.params):
            arg.name = p.name
        if returns_object(fi):
            fn.args[-1].name = RESULT_PARAM
        if fi.fdef.section is not None:
            fn.section = fi.fdef.section
        else:
            fn.linkage = "internal"
        self.functions[fi.name] = fn
        self.subprograms[fi.name] = self._subprogram(fi, fn)
        fn.set_metadata("dbg", self.subprograms[fi.name])

    def _subprogram(self, fi: FuncInfo, fn: ir.Function) -> Any:
        di = self.di
        if fi.fdef.section is not None:
            kind = kind_of(fi.fdef.section)
            c_name = (kind.ctx if kind and kind.ctx else
                      (fi.ctx_type.name if isinstance(fi.ctx_type, (StructType, KernelStruct))
                       else "bpf_ctx"))
            params = [(fi.params[0].name, di.named_ctx(c_name) if fi.ctx_type is None
                       else di.pointer(di.type_of(fi.ctx_type)))]
            ret = di.c_int()
        else:
            params = []
            for i, p in enumerate(fi.params):
                if fi.is_callback and i == 0:
                    params.append((p.name, di.pointer(di.c_int())))
                elif p.mode == "ctx":          # the program's ctx, passed on
                    params.append((p.name, di.named_ctx("xdp_md" if fi.ctx_kind == "xdp"
                                                        else "__sk_buff")))
                elif p.mode == "value":
                    params.append((p.name, di.type_of(p.type)))
                else:
                    params.append((p.name, di.pointer(di.type_of(p.type))))
            ret = di.type_of(fi.ret) if fi.ret is not None else None
            if returns_object(fi):
                params.append((RESULT_PARAM, di.pointer(ret)))
                ret = None
        return di.subprogram(fi.name, fi.node.lineno, ret, params,
                             local=fi.fdef.section is None)


TYPE_CARRIER = "__ebpfpy_types_"
MAX_ARGS = 5


# LLVM cuts local value names at 1024 bytes (NonGlobalValueMaxNameSize) *after* llvmlite made
# them unique, so two long Python locals would collide; 200 characters stay below in UTF-8.
LOCAL_NAME_MAX = 200


def shorten_local_names(module: ir.Module) -> None:
    """Rename (uniquely, via the function's name scope) every over-long local value name."""
    for fn in module.functions:
        for value in [*fn.args, *fn.blocks, *(i for bb in fn.blocks for i in bb.instructions)]:
            if len(value.name) > LOCAL_NAME_MAX:
                value.name = value.name[:LOCAL_NAME_MAX]
