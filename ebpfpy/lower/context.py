"""The state of lowering one LLVM function, handed to every lowering function.

A ``LowerContext`` is what mypyc's ``irbuild`` calls the builder: the function's checked
facts (``fi``), the LLVM builders, the local slots, the outlined-loop frame and the module's
shared state.  The topic modules (statements, expressions, places, calls, maps, loops)
are free functions over it.  They reach the dispatching entry points (``expr``,
``truth``, ``place``, ``block``) through ``cx.passes``, which ``function.py`` fills, so no
topic module imports one above it.

A function and an outlined loop body are two contexts that differ in their ``exit``: what
``return``, falling off the end and reading the ctx mean there (see exits.py).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import llvmlite.ir as ir

from ..model.typed import FuncInfo, Local
from ..types import BpfType, MapType
from .abi import Frame
from .builder import LowerBuilder
from .ltypes import PTR, TypeMap
from .module_state import ModuleState


class Exit(Protocol):
    """What leaving the code being lowered means: a function's or a loop body's exits."""

    def default_return(self, cx: LowerContext) -> None:
        """Falling off the end."""

    def emit_return(self, cx: LowerContext, v: ir.Value | None) -> None:
        """``return v`` (``v`` in the function's return type, or an object's address)."""

    def after_outlined_return(self, cx: LowerContext) -> None:
        """An outlined loop inside returned: leave with the value it left in the frame."""

    def ctx_pointer(self, cx: LowerContext) -> ir.Value:
        """The program's ctx pointer."""

    def entry_copy(self, cx: LowerContext, loc: Local) -> ir.Value | None:
        """A private slot for ``loc`` filled on entry, or None for the usual slot."""


@dataclass(frozen=True)
class Passes:
    """The dispatching entry points of the lowering (filled by function.py)."""

    expr: Callable[[LowerContext, ast.expr], ir.Value]
    truth: Callable[[LowerContext, ast.expr], ir.Value]
    place: Callable[[LowerContext, ast.expr], ir.Value]
    block: Callable[[LowerContext, list[ast.stmt]], None]


@dataclass(eq=False)
class LowerContext:
    """Everything the lowering of one LLVM function reads and updates."""

    ml: ModuleState
    fi: FuncInfo
    fn: ir.Function
    passes: Passes
    exit: Exit
    frame: Frame | None
    frame_ptr: ir.Value | None = None
    types: TypeMap = field(init=False)
    sp: Any = field(init=False)                 # the function's DISubprogram
    alloca_builder: ir.IRBuilder = field(init=False)
    b: LowerBuilder = field(init=False)
    slots: dict[Local, ir.Value] = field(default_factory=dict)    # local -> alloca
    site_slots: dict[Any, ir.Value] = field(default_factory=dict)
    temps: list[ir.Value] = field(default_factory=list)           # the statement's temp slots
    # (continue, break) blocks; None marks the body of an outlined loop
    loop_targets: list[tuple[ir.Block, ir.Block] | None] = field(default_factory=list)
    node: ast.AST | None = None                 # what is being lowered, for locations
    # a program's ctx, marked for static offsets (see function.py), and its staged copy
    ctx_value: ir.Value | None = None
    ctx_real: ir.Value | None = None
    # locals only ever assigned ``e & C`` (places.mask_bounds), made on first use
    index_masks: dict[int, int] | None = None
    # ids of the operands compared with a runtime value (memory.shared_in_callback), on first use
    compared: set[int] | None = None
    # blocks of rarely taken paths, moved to the end of the function by finish()
    cold: list[ir.Block] = field(default_factory=list)
    # the one block every ``return v`` of a function branches to, laid out last (exits.py)
    ret_block: ir.Block | None = None
    ret_slot: ir.Value | None = None

    def __post_init__(self) -> None:
        self.types = self.ml.types
        self.sp = self.ml.subprograms[self.fn.name]
        self.alloca_builder = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.b = LowerBuilder(self.fn.append_basic_block("body"))

    # ------------------------------------------------------------------ dispatch
    def expr(self, node: ast.expr) -> ir.Value:
        """The register value of ``node``."""
        return self.passes.expr(self, node)

    def truth(self, node: ast.expr) -> ir.Value:
        """An i1 for the condition ``node``."""
        return self.passes.truth(self, node)

    def place(self, node: ast.expr) -> ir.Value:
        """The address the lvalue ``node`` denotes."""
        return self.passes.place(self, node)

    def block(self, stmts: list[ast.stmt]) -> None:
        """Lower statements in order."""
        self.passes.block(self, stmts)

    def cold_block(self, name: str) -> ir.Block:
        """A block for a rarely taken path (a map insert when the key is absent).  LLVM's
        BPF code keeps the IR's block order, and the verifier walks the fall-through of
        each branch first: the likely path laid out straight lets its states prune the
        unlikely one where they meet, as in clang's code for the same C."""
        bb = self.fn.append_basic_block(name)
        self.cold.append(bb)
        return bb

    def finish(self) -> None:
        """Close the function: the cold blocks, then the return block go last, the entry
        block (the allocas) branches to the body."""
        # the cold blocks, then the return block (after them: hashcount's verifier count
        # grew 12% with the return block between the loop and the cold blocks)
        for bb in self.cold + ([self.ret_block] if self.ret_block is not None else []):
            self.fn.blocks.remove(bb)
            self.fn.blocks.append(bb)
        self.alloca_builder.branch(self.fn.blocks[1])

    # ------------------------------------------------------------------ stack slots
    def alloca(self, lt: ir.Type, name: str) -> ir.Value:
        """A stack slot in the entry block (so LLVM's mem2reg/SROA can promote it)."""
        slot = self.alloca_builder.alloca(lt, name=name)
        # Every object starts an 8-byte verifier stack slot and shares it with nothing: LLVM
        # spills a 32-bit register into the low half of an 8-byte slot, and a 4-byte object
        # packed into the other half makes the verifier forget the spilled value (a loop's
        # exit flag became unknown: "infinite loop detected").  The checker's stack budget
        # already counts each object rounded up to 8 bytes.
        slot.align = 8
        slot.type = PTR         # opaque, like every other pointer here
        return slot

    def slot(self, loc: Local) -> ir.Value:
        """The slot of a local: its frame field when captured, else a zeroed alloca."""
        s = self.slots.get(loc)
        if s is None:
            s = self.exit.entry_copy(self, loc)
            if s is not None:
                self.b.track(s)
        if s is None and self.frame is not None and loc in self.frame.index:
            s = self.frame.field(self.alloca_builder, self.frame_ptr, loc)
        if s is None:
            lt = self.types.mem(loc.type) if loc.mode == "value" else PTR
            s = self.alloca(lt, loc.name)
            # zeroed, so no path reads uninitialised stack (the verifier refuses that)
            self.alloca_builder.store(ir.Constant(lt, None), s)
            if loc.mode == "ref" or lt != PTR and isinstance(lt, ir.IntType):
                self.b.track(s)             # a scalar or a reference: its loads forward
        self.slots[loc] = s
        return s

    def site_slot(self, key: Any, t: BpfType) -> ir.Value:
        """The stack object created at ``key`` (a node: P(), u8[4](), a map copy…)."""
        s = self.site_slots.get(key)
        if s is None:
            s = self.alloca(self.types.mem(t), "obj")
            self.site_slots[key] = s
        return s

    def temp_slot(self, key: Any, t: BpfType) -> ir.Value:
        """A stack slot that lives for the current statement only (a map key or value on its
        way into a helper).  Lifetime markers let LLVM share these bytes between statements:
        without them every map access kept its own slot, and a few dozen in one function
        overflowed the 512-byte stack (an LLVM fatal error that ends the whole process)."""
        s = self.site_slot(key, t)
        self.b.call(self.lifetime("start"), [s])
        self.temps.append(s)
        return s

    def lifetime(self, which: str) -> ir.Function:
        """``llvm.lifetime.start`` or ``.end`` for opaque pointers."""
        mod = self.fn.module
        name = f"llvm.lifetime.{which}.p0"
        return mod.globals.get(name) or ir.Function(mod, ir.FunctionType(ir.VoidType(), [PTR]), name)

    # ------------------------------------------------------------------ small emitters
    def mark(self, node: ast.AST) -> None:
        """Attach the Python line to what follows (→ BTF line info, verifier messages)."""
        self.node = node
        line = getattr(node, "lineno", self.fi.node.lineno)
        col = getattr(node, "col_offset", 0) + 1
        self.b.debug_metadata = self.ml.di.location(line, col, self.sp)
        self.alloca_builder.debug_metadata = self.ml.di.location(self.fi.node.lineno, 1, self.sp)

    def helper(self, hid: int, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
        """``call <helper id>``: BPF helpers are called through their number."""
        fnty = ir.FunctionType(ret, [a.type for a in args])
        fp = self.b.inttoptr(ir.Constant(ir.IntType(64), hid), fnty.as_pointer(), name="helper")
        return self.b.call(fp, args)

    def ctx_pointer(self) -> ir.Value:
        """The program's ctx pointer, as this context's exit strategy reaches it."""
        return self.exit.ctx_pointer(self)

    def is_map(self, node: ast.expr) -> bool:
        """Whether ``node`` names a map."""
        return isinstance(self.fi.types.get(node), MapType)
