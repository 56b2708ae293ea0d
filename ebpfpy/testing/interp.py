"""The CPython reference model: evaluate a checked function's AST with the contract's semantics.

The checker's tables say what every node is (``fi.types``, ``fi.consts``, ``fi.names``,
``fi.calls``, ``fi.attrs``, ``fi.loops``); this module gives each node its meaning the way the
lowering (``ebpfpy/lower``) emits it, so a simulated run and a kernel run agree.  Integer
operations go through :class:`~ebpfpy.types.IntType` (``wrap``, ``floordiv``, ``mod``,
``shl``, ``shr``), the same methods the constant folder and the lowering's tests use.
"""
from __future__ import annotations

import ast
from typing import Any, Callable, Protocol

from ..model.items import GlobalDef
from ..model.typed import CheckedModule, FuncInfo, Local, LoopStrategy, int_type, is_int, known
from ..types import (BOOL, ArrayType, BoolType, BpfType, IntType, MapType, RefType, StructType,
                     common_int, i32, i64, u16, u32, u64)
from ..model.helper_table import PACKET_HELPERS
from .fakes import FakeKernel, bswap, format_printk
from .maps import BPF_EXIST, BPF_NOEXIST, Cell, SimMap, SimPerfEventArray, SimRingBuf
from .packets import meta_load, packet_helper
from .values import SimTimer, convert, copy, copy_into, pack, unpack, zero


class SimHost(Protocol):
    """What a frame needs from the simulator running it (:class:`ebpfpy.testing.sim.Simulator`).

    A protocol rather than an import of ``sim``, which imports this module: no cycle.
    """

    checked: CheckedModule
    env: FakeKernel
    global_defs: dict[str, GlobalDef]
    global_values: dict[str, Any]
    map_objects: dict[str, SimMap | SimRingBuf]
    printk_lines: list[str]
    armed_timers: list[SimTimer]

    def invoke(self, name: str, args: list[Any]) -> Any: ...

    def ctx_load(self, frame: Frame, what: tuple[str, BpfType, int]) -> Any: ...

    def data_loc(self, frame: Frame, what: tuple[str, Any, int]) -> int: ...

    def ctx_store(self, frame: Frame, what: tuple[str, BpfType, int], v: Any, src: Any) -> None: ...

    def packet_load(self, t: BpfType, off: int) -> Any: ...

_ARITH: dict[type, Callable[[IntType, int, int], int]] = {
    ast.Add: lambda t, x, y: t.wrap(x + y),
    ast.Sub: lambda t, x, y: t.wrap(x - y),
    ast.Mult: lambda t, x, y: t.wrap(x * y),
    ast.BitAnd: lambda t, x, y: t.wrap(x & y),
    ast.BitOr: lambda t, x, y: t.wrap(x | y),
    ast.BitXor: lambda t, x, y: t.wrap(x ^ y),
    ast.FloorDiv: lambda t, x, y: t.floordiv(x, y),
    ast.Mod: lambda t, x, y: t.mod(x, y),
}
_CMP: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
_ATOMIC = (ast.Add, ast.Sub, ast.BitOr, ast.BitAnd, ast.BitXor)
_ATOMIC_BINOPS = {"add": ast.Add(), "sub": ast.Sub(), "and": ast.BitAnd(), "or": ast.BitOr(),
                  "xor": ast.BitXor()}
BPF_LOOP_MAX = 1 << 23
PROGRAM_RET = i32


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class TailCall(Exception):
    """Raised by a successful ``tail_call``: the run continues in program ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name


class SimulationError(Exception):
    """The simulated program did something the kernel would refuse at run time."""


def _kernel_only(what: str) -> NotImplementedError:
    return NotImplementedError(
        f"{what} needs the running kernel (its types, BTF relocations or symbols), which the "
        f"simulator does not model: test this program in the kernel (ebpfpy.load)")


def binop(op: ast.operator, t: IntType, x: int, y: int) -> int:
    """``x op y`` in type ``t`` (``y`` already converted, except a shift count)."""
    if isinstance(op, ast.LShift):
        return t.shl(x, y)
    if isinstance(op, ast.RShift):
        return t.shr(x, y)
    return _ARITH[type(op)](t, x, y)


class Frame:
    """One activation of a function: its FuncInfo and its locals' values."""

    def __init__(self, sim: SimHost, fi: FuncInfo) -> None:
        self.sim = sim
        self.fi = fi
        self.vars: dict[Local, Any] = {}
        self.ctx: Any = None

    # ================================================================ statements
    def run(self, args: list[Any]) -> Any:
        for p, a in zip(self.fi.params, args):
            self.vars[p] = a
        try:
            self.block(self.fi.node.body)
        except _Return as r:
            return r.value
        return 0 if self.fi.ret is not None or self.fi.fdef.section is not None else None

    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            getattr(self, "s_" + type(s).__name__)(s)

    def s_Pass(self, node: ast.Pass) -> None:
        pass

    s_Global = s_Pass

    def s_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call):
            self.eval(node.value)

    def s_Return(self, node: ast.Return) -> None:
        if node.value is None:
            raise _Return(0 if self.fi.ret is not None else None)
        v = self.eval(node.value)
        src = self.fi.types[node.value]
        if self.fi.fdef.section is not None:
            raise _Return(int(v) if src is BOOL else PROGRAM_RET.wrap(v))
        if isinstance(self.fi.ret, (StructType, ArrayType)):
            raise _Return(copy(self.fi.ret, v))     # returned by value (a hidden result pointer)
        raise _Return(convert(v, src, known(self.fi.ret)))

    def s_Break(self, node: ast.Break) -> None:
        raise _Break()

    def s_Continue(self, node: ast.Continue) -> None:
        raise _Continue()

    def s_If(self, node: ast.If) -> None:
        self.block(node.body if self.truth(node.test) else node.orelse)

    def s_With(self, node: ast.With) -> None:
        self.block(node.body)       # one simulated CPU: the spin lock is always free

    def s_For(self, node: ast.For) -> None:
        info = self.fi.loops[node]
        vt: IntType = info.var_type
        ct = i64 if vt.signed or vt.bits < 64 else vt

        def bound(b: Any) -> int:
            if isinstance(b, int):
                return ct.wrap(b)
            if b in self.fi.consts:
                return ct.wrap(self.fi.consts[b])
            return convert(self.eval(b), self.fi.types[b], ct)
        start, stop = bound(info.start), bound(info.stop)
        if info.strategy is LoopStrategy.ITER_NUM and not 0 <= stop - start <= BPF_LOOP_MAX:
            return          # bpf_iter_num_new refuses (-EINVAL, -E2BIG): no iterations
        target: Local = self.fi.names[node.target].target
        for i in range(start, stop, info.step):
            self.vars[target] = convert(i, ct, target.type)
            try:
                self.block(node.body)
            except _Break:
                break
            except _Continue:
                continue

    def s_Assign(self, node: ast.Assign) -> None:
        self.assign(node.targets[0], node.value)

    def s_AnnAssign(self, node: ast.AnnAssign) -> None:
        assert node.value is not None
        self.assign(node.target, node.value)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Subscript) and self.is_map(target.value):
            v = self.eval(value)
            m = self.map_of(target.value)
            k = self.key(target.slice, m)
            m.update(k, self._value_for(m.value_type, v, self.fi.types[value]))
            return
        if isinstance(target, ast.Name):
            sym = self.fi.names[target]
            if sym.kind == "global":
                g = self.sim.global_defs[target.id]
                v = self.eval(value)
                self._store_global(target.id, g.type, v, self.fi.types[value])
                return
            loc: Local = sym.target
            v = self.eval(value)
            if loc.mode != "value":
                self.vars[loc] = v          # rebinding a name: aliasing, no copy
            else:
                self.vars[loc] = convert(v, self.fi.types[value], loc.type)
            return
        v = self.eval(value)
        self.store(target, v, self.fi.types[value])

    def _value_for(self, dst: Any, v: Any, src: Any) -> Any:
        if isinstance(v, Cell):
            v = v.value
        if isinstance(dst, (StructType, ArrayType)):
            return v
        return convert(v, src, dst)

    def _store_global(self, name: str, t: Any, v: Any, src: Any) -> None:
        g = self.sim.global_values
        if isinstance(t, (StructType, ArrayType)):
            copy_into(t, g[name], v)
        else:
            g[name] = convert(v.value if isinstance(v, Cell) else v, src, t)

    def store(self, target: ast.expr, v: Any, src: Any) -> None:
        """Store into a field, an element or ``r.value``: aggregates are copied in place."""
        dst_t = self.fi.types[target]
        if isinstance(v, Cell):
            v = v.value
        if isinstance(target, ast.Attribute):
            kind, what = self.fi.attrs[target]
            if kind == "ctx":
                self.sim.ctx_store(self, what, v, src)
                return
            base = self.eval(target.value)
            if kind == "value":
                if isinstance(dst_t, (StructType, ArrayType)):
                    copy_into(dst_t, base, v)
                else:
                    base.value = convert(v, src, dst_t)
                return
            if isinstance(dst_t, (StructType, ArrayType)):
                copy_into(dst_t, getattr(base, what.name), v)
            else:
                setattr(base, what.name, convert(v, src, dst_t))
            return
        assert isinstance(target, ast.Subscript)
        base, idx = self.element(target)
        if isinstance(dst_t, (StructType, ArrayType)):
            copy_into(dst_t, base[idx], v)
        else:
            base[idx] = convert(v, src, dst_t)

    def element(self, node: ast.Subscript) -> tuple[Any, int]:
        """The container and the index an array subscript denotes."""
        bt = self.fi.types[node.value]
        arr = bt.target if isinstance(bt, RefType) else bt
        assert isinstance(arr, ArrayType)
        base = self.eval(node.value)
        if isinstance(base, Cell):
            base = base.value
        return base, self.index(node.slice, arr.length)

    def index(self, node: ast.expr, length: int) -> int:
        c = self.fi.consts.get(node)
        if c is not None:
            return c + length if c < 0 else c
        t = self.fi.types[node]
        v = self.eval(node)
        # the lowering clamps an out-of-range index to 0; the checker proved it cannot happen
        return v if 0 <= v < length else 0

    def s_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Subscript) and self.is_map(target.value):
            self.map_aug(node)
            return
        if isinstance(target, ast.Name):
            sym = self.fi.names[target]
            t = int_type(sym.target.type)
            if sym.kind == "global":
                old = self.sim.global_values[target.id]
                new = self._aug(node, t, old)
                self.sim.global_values[target.id] = new
            else:
                self.vars[sym.target] = self._aug(node, t, self.vars[sym.target])
            return
        t = int_type(self.fi.types[target])
        if isinstance(target, ast.Attribute):
            kind, what = self.fi.attrs[target]
            if kind == "ctx":
                old = self.sim.ctx_load(self, what)
                self.sim.ctx_store(self, what, self._aug(node, t, old), t)
                return
            base = self.eval(target.value)
            if kind == "value":
                base.value = self._aug(node, t, base.value)
            else:
                setattr(base, what.name, self._aug(node, t, getattr(base, what.name)))
            return
        assert isinstance(target, ast.Subscript)
        base, idx = self.element(target)
        base[idx] = self._aug(node, t, base[idx])

    def _aug(self, node: ast.AugAssign, t: IntType, old: int) -> int:
        y = self.eval(node.value)
        yt = self.fi.types[node.value]
        if not isinstance(node.op, (ast.LShift, ast.RShift)):
            y = convert(y, yt, t)
        return binop(node.op, t, old, y)

    def map_aug(self, node: ast.AugAssign) -> None:
        """``m[k] op= v``: atomic in place; an absent key is created with ``0 op v``."""
        target = node.target
        assert isinstance(target, ast.Subscript)
        m = self.map_of(target.value)
        vt: IntType = m.value_type
        k = self.key(target.slice, m)
        v = convert(self.eval(node.value), self.fi.types[node.value], vt)
        r = m.lookup(k)         # read when the operation applies (atomic), after v
        if r is None:
            if m.update(k, binop(node.op, vt, 0, v), BPF_NOEXIST) == 0:
                return
            r = m.lookup(k)
            if r is None:
                return
        r.value = binop(node.op, vt, r.value, v)

    def s_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            assert isinstance(t, ast.Subscript)
            m = self.map_of(t.value)
            m.delete(self.key(t.slice, m))

    # ================================================================ expressions
    def eval(self, node: ast.expr) -> Any:
        t = self.fi.types[node]
        if node in self.fi.consts and isinstance(t, (IntType, BoolType)):
            return convert(self.fi.consts[node], None, t)
        return getattr(self, "x_" + type(node).__name__)(node)

    def truth(self, node: ast.expr) -> bool:
        """A condition: bools as they are, integers ``!= 0``, references ``is not None``."""
        if isinstance(node, ast.Name) and self.fi.names[node].kind == "local" and \
                self.fi.names[node].target.nullable:
            return self.vars.get(self.fi.names[node].target) is not None
        v = self.eval(node)
        t = self.fi.types[node]
        if isinstance(t, RefType) or v is None:
            return v is not None
        if isinstance(v, (list, SimTimer)) or hasattr(v, "__bpf_type__"):
            return True
        return bool(v)

    def x_Name(self, node: ast.Name) -> Any:
        sym = self.fi.names[node]
        if sym.kind == "global":
            return self.sim.global_values[node.id]
        loc: Local = sym.target
        if loc.mode == "ctx":
            return self.ctx
        v = self.vars.get(loc)
        if loc.mode != "value":
            return v
        if v is None:
            v = zero(loc.type)      # the compiled code zeroes every slot
        return convert(v, loc.type, self.fi.types[node])

    def x_Attribute(self, node: ast.Attribute) -> Any:
        kind, what = self.fi.attrs[node]
        if kind == "ctx":
            return self.sim.ctx_load(self, what)
        if kind == "dataloc":
            return self.sim.data_loc(self, what)
        base = self.eval(node.value)
        if kind == "value":
            return base.value if isinstance(base, Cell) else base
        return getattr(base, what.name)

    def x_Subscript(self, node: ast.Subscript) -> Any:
        if self.is_map(node.value):
            m = self.map_of(node.value)
            v = m.get_value(self.key(node.slice, m))
            return copy(m.value_type, v) if v is not None else zero(m.value_type)
        base, idx = self.element(node)
        return base[idx]

    def x_BinOp(self, node: ast.BinOp) -> int:
        t = int_type(self.fi.types[node])
        x = convert(self.eval(node.left), self.fi.types[node.left], t)
        y = self.eval(node.right)
        if not isinstance(node.op, (ast.LShift, ast.RShift)):
            y = convert(y, self.fi.types[node.right], t)
        return binop(node.op, t, x, y)

    def x_UnaryOp(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not):
            return not self.truth(node.operand)
        t = int_type(self.fi.types[node])
        v = convert(self.eval(node.operand), self.fi.types[node.operand], t)
        if isinstance(node.op, ast.USub):
            return t.wrap(-v)
        if isinstance(node.op, ast.Invert):
            return t.wrap(~v)
        return v

    def x_BoolOp(self, node: ast.BoolOp) -> bool:
        if isinstance(node.op, ast.And):
            return all(self.truth(v) for v in node.values)
        return any(self.truth(v) for v in node.values)

    def x_Compare(self, node: ast.Compare) -> bool:
        left, lv = node.left, None
        for op, right in zip(node.ops, node.comparators):
            ok, lv = self._compare(left, op, right, lv)
            if not ok:
                return False
            left = right
        return True

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr, lv: Any) -> tuple[bool, Any]:
        if isinstance(op, (ast.Is, ast.IsNot)):
            v = self.eval(left) if isinstance(left, ast.Call) else \
                self.vars.get(self.fi.names[left].target)
            return (v is None) == isinstance(op, ast.Is), None
        if isinstance(op, (ast.In, ast.NotIn)):
            m = self.map_of(right)
            found = m.lookup(self.key(left, m)) is not None
            return found != isinstance(op, ast.NotIn), None
        lt, rt = self.fi.types[left], self.fi.types[right]
        x = lv if lv is not None else self.eval(left)
        y = self.eval(right)
        if lt is BOOL and rt is BOOL:
            return _CMP[type(op)](bool(x), bool(y)), y
        ct = (common_int(lt, rt) if isinstance(lt, IntType) and isinstance(rt, IntType) else None) or lt
        return _CMP[type(op)](convert(x, lt, ct), convert(y, rt, ct)), y

    def x_IfExp(self, node: ast.IfExp) -> Any:
        t = self.fi.types[node]
        branch = node.body if self.truth(node.test) else node.orelse
        if isinstance(branch, ast.Constant) and branch.value is None:
            return None             # `m = v.tree.pop_first() if c else None`
        return convert(self.eval(branch), self.fi.types[branch], t)

    def x_Call(self, node: ast.Call) -> Any:
        call = self.fi.calls[node]
        rule = getattr(self, "c_" + call.kind, None)
        if rule is None:                        # kernel_ptr, kernel_view, kfunc_task
            raise _kernel_only(ast.unparse(node.func))
        return rule(node, call)

    # ================================================================ calls
    def c_cast(self, node: ast.Call, call: Any) -> Any:
        if not node.args:
            return 0
        arg = node.args[0]
        return convert(self.eval(arg), self.fi.types[arg], call.type)

    def c_bool(self, node: ast.Call, call: Any) -> bool:
        return self.truth(node.args[0])

    def c_struct_new(self, node: ast.Call, call: Any) -> Any:
        st: StructType = call.type
        obj = zero(st)
        for kw in node.keywords:
            f = st.by_name[known(kw.arg)]
            v = self.eval(kw.value)
            if isinstance(v, Cell):
                v = v.value
            if isinstance(f.type, (StructType, ArrayType)):
                copy_into(f.type, getattr(obj, f.name), v)
            else:
                setattr(obj, f.name, convert(v, self.fi.types[kw.value], f.type))
        return obj

    def c_array_new(self, node: ast.Call, call: Any) -> Any:
        return zero(call.type)

    def c_builtin(self, node: ast.Call, call: Any) -> Any:
        t = call.type
        if call.name == "len":
            return convert(call.extra, None, self.fi.types[node])
        vals = [convert(self.eval(a), self.fi.types[a], t) for a in node.args]
        if call.name == "abs":
            return t.wrap(abs(vals[0]))
        return min(vals) if call.name == "min" else max(vals)

    def c_func(self, node: ast.Call, call: Any) -> Any:
        callee = self.sim.checked.funcs[call.name]
        args = []
        for p, a in zip(callee.params, node.args):
            v = self.eval(a)
            if p.mode == "value":
                v = convert(v.value if isinstance(v, Cell) else v, self.fi.types[a], p.type)
            elif isinstance(v, Cell):
                v = v.value
            args.append(v)
        return self.sim.invoke(call.name, args)

    def c_helper(self, node: ast.Call, call: Any) -> Any:
        k = self.sim.env
        name = call.name
        if name == "printk":
            args = []
            for a in node.args[1:]:
                v = self.eval(a)
                t = self.fi.types[a]
                t = t.target if isinstance(t, RefType) else t
                # %s reads the bytes at the array's address, up to a NUL
                args.append(int(v) if is_int(t) or t is BOOL else pack(t, v))
            line = format_printk(node.args[0].value, args)   # type: ignore[attr-defined]
            self.sim.printk_lines.append(line)
            return len(line) + 1
        if name in ("ntohs", "htons", "ntohl", "htonl"):
            t = u16 if name.endswith("s") else u32
            v = convert(self.eval(node.args[0]), self.fi.types[node.args[0]], t)
            return bswap(v, t.size)
        if name == "loop":
            return self._bpf_loop(node, call)
        if name.startswith("atomic_"):
            return self._atomic(node, name)
        if name.startswith(("probe_read", "copy_from_user")):
            return self._probe_read(node, name)
        if name in ("get_stack", "get_task_stack"):
            return self._get_stack(node)
        if name == "perf_event_output":
            flags = convert(self.eval(node.args[2]), self.fi.types[node.args[2]], u64)
            t, v = self._record(node.args[3])
            size = None
            if len(node.args) == 5:
                size = min(convert(self.eval(node.args[4]), self.fi.types[node.args[4]], u64), t.size)
            return self.map_of(node.args[1]).output_at(flags, k.cpu, t, v, size)
        if name == "current_task_under_cgroup":
            idx = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u32)
            return self.map_of(node.args[0]).under(idx, k.cgroup)
        if name in PACKET_HELPERS:
            return packet_helper(self, node, name)
        fn = getattr(k, name, None)
        if fn is None:            # kernel structs, CO-RE queries, enum values, kfuncs, ksyms
            raise _kernel_only(f"helpers.{name}")
        return convert(fn(), None, call.type)

    def _atomic(self, node: ast.Call, name: str) -> Any:
        """``helpers.atomic_*``: one program runs at a time here, so a read, the update
        and a store; the fetching forms give the old value."""
        place = node.args[0]
        t = int_type(self.fi.types[place])
        old = self._read_place(place)
        vals = [convert(self.eval(a), self.fi.types[a], t) for a in node.args[1:]]
        if name == "atomic_cmpxchg":
            new = vals[1] if old == vals[0] else old
        elif name == "atomic_xchg":
            new = vals[0]
        else:
            new = binop(_ATOMIC_BINOPS[name.rsplit("_", 1)[1]], t, old, vals[0])
        self._write_place(place, t, new)
        return old

    def _read_place(self, node: ast.expr) -> int:
        if isinstance(node, ast.Name) and self.fi.names[node].kind == "global":
            return int(self.sim.global_values[node.id])
        v = self.eval(node)
        return int(v.value if isinstance(v, Cell) else v)

    def _write_place(self, node: ast.expr, t: IntType, v: int) -> None:
        if isinstance(node, ast.Name):
            self.sim.global_values[node.id] = v
        else:
            self.store(node, v, t)

    def _bpf_loop(self, node: ast.Call, call: Any) -> int:
        n = convert(self.eval(node.args[0]), self.fi.types[node.args[0]], u32)
        ref = self.eval(node.args[2])
        if n > BPF_LOOP_MAX:
            return -7                  # -E2BIG
        calls = 0
        for i in range(n):
            calls += 1
            if self.sim.invoke(call.extra, [i, ref]) == 1:
                break
        return calls

    def _record(self, arg: ast.expr) -> tuple[Any, Any]:
        """The type and value of a record to output."""
        t = self.fi.types[arg]
        t = getattr(t, "target", t)
        v = self.eval(arg)
        return t, (v.value if isinstance(v, Cell) else convert(v, self.fi.types[arg], t)
                   if isinstance(t, IntType) else v)

    def _get_stack(self, node: ast.Call) -> int:
        """bpf_get_stack: the frames that fit, the rest of the buffer zeroed; bytes copied."""
        buf = self.eval(node.args[1])
        bt = self.fi.types[node.args[1]]
        bt = bt.target if isinstance(bt, RefType) else bt
        assert isinstance(bt, ArrayType), "the checker types the frame buffer as an array"
        flags = convert(self.eval(node.args[2]), self.fi.types[node.args[2]], u64)
        frames = self.sim.env.stack(flags)[:bt.length]
        copy_into(bt, buf, frames + [0] * (bt.length - len(frames)))
        return 8 * len(frames)

    def _probe_read(self, node: ast.Call, name: str) -> int:
        target = node.args[0]
        if self.fi.attrs.get(target, ("",))[0] == "slice":
            return self._into_slice(node, name)
        dst = self.eval(target)
        dt = self.fi.types[target]
        dt = dt.target if isinstance(dt, RefType) else dt
        addr = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u64)
        if not isinstance(dt, (StructType, ArrayType)):     # an integer field or element
            data = self.sim.env.read_memory(addr, dt.size)
            self.store(target, unpack(dt, data) if data is not None else 0, dt)
            return 0 if data is not None else -14
        return self._read_into(dt, dst, addr, name)

    def _read_into(self, dt: Any, dst: Any, addr: int, name: str) -> int:
        """Copy ``dt.size`` bytes from ``addr`` into the object ``dst``; a ``_str`` read
        stops after the NUL and leaves the bytes past it as they were, as the kernel's
        strncpy_from_*_nofault does (the count includes the NUL); a failed read zeroes the
        destination."""
        data = self.sim.env.read_memory(addr, dt.size)
        if data is None:
            copy_into(dt, dst, zero(dt))
            return -14                 # -EFAULT
        if name.endswith("_str"):
            # up to the NUL; a longer string is cut and ends in a NUL at the last byte
            data = data[:data.index(b"\0") + 1] if b"\0" in data else data[:-1] + b"\0"
            cur = bytearray(pack(dt, dst))
            cur[:len(data)] = data
            copy_into(dt, dst, unpack(dt, bytes(cur)))
            return len(data)
        copy_into(dt, dst, unpack(dt, data))
        return 0

    def _into_slice(self, node: ast.Call, name: str) -> int:
        """A helper writing into ``a[x:y]``: -E2BIG, without reading, when a runtime offset
        leaves no room for the slice (lower/places.py ``slice_place``)."""
        target = node.args[0]
        assert isinstance(target, ast.Subscript)
        info = self.fi.attrs[target][1]
        bt = self.fi.types[target.value]
        arr = bt.target if isinstance(bt, RefType) else bt
        assert isinstance(arr, ArrayType), "the checker slices arrays only"
        base = self.eval(target.value)
        if isinstance(base, Cell):
            base = base.value
        start = info.start
        if start is None:
            off = self.eval(info.offset)
            start = off if 0 <= off <= arr.length - info.length else None
        addr = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u64)
        if start is None:
            return -7                  # -E2BIG
        dt = self.fi.types[target]
        part = [copy(arr.elem, base[start + i]) for i in range(info.length)]
        r = self._read_into(dt, part, addr, name)
        for i, v in enumerate(part):
            if isinstance(arr.elem, (StructType, ArrayType)):
                copy_into(arr.elem, base[start + i], v)
            else:
                base[start + i] = v
        return r

    def c_map_method(self, node: ast.Call, call: Any) -> Any:
        m = self.map_of(node.func.value)            # type: ignore[attr-defined]
        if call.name == "lookup":
            return m.lookup(self.key(node.args[0], m))
        if call.name == "get":
            k = self.key(node.args[0], m)
            d = None
            if len(node.args) > 1:
                d = self._value_for(m.value_type, self.eval(node.args[1]), self.fi.types[node.args[1]])
            v = m.get_value(k)
            if v is None:
                return copy(m.value_type, d) if d is not None else zero(m.value_type)
            return copy(m.value_type, v)
        if call.name == "reserve":
            return m.reserve()
        if call.name in ("submit", "discard"):
            m.release(self.eval(node.args[0]), call.name == "submit")
            return 0
        if call.name in ("insert", "replace"):
            k = self.key(node.args[0], m)              # arguments left to right
            v = self._value_for(m.value_type, self.eval(node.args[1]), self.fi.types[node.args[1]])
            return m.update(k, v, BPF_NOEXIST if call.name == "insert" else BPF_EXIST) == 0
        if call.name == "output":             # rb.output(v[, n]) or perf.output(ctx, v[, n])
            perf = isinstance(m, SimPerfEventArray)
            t, v = self._record(node.args[1 if perf else 0])
            size = None
            if len(node.args) == (3 if perf else 2):
                size = min(convert(self.eval(node.args[-1]), self.fi.types[node.args[-1]], u64), t.size)
            return m.output(t, v, size)
        if call.name == "get_stackid":
            flags = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u64)
            return m.get_stackid(self.sim.env.stack(flags))
        # tail_call(ctx, index): on success the current program is replaced
        idx = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u32)
        name = m.progs.get(idx)
        if name is None:
            return -2
        raise TailCall(name)

    def c_ctx_load(self, node: ast.Call, call: Any) -> Any:
        if call.name == "meta":
            return meta_load(self.sim, call.extra)
        off = convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u64)
        return self.sim.packet_load(call.extra, off)

    def c_timer(self, node: ast.Call, call: Any) -> int:
        timer = self.eval(node.func.value)          # type: ignore[attr-defined]
        if call.name == "init":
            if timer.map is not None:
                return -16                 # -EBUSY
            timer.map = call.extra
            return 0
        if timer.map is None:
            return -22                     # -EINVAL: not initialised
        if call.name == "set_callback":
            timer.callback = call.extra
        elif call.name == "start":
            timer.armed_ns = convert(self.eval(node.args[0]), self.fi.types[node.args[0]], u64)
            self.sim.armed_timers.append(timer)
        else:
            timer.armed_ns = None
        return 0

    def c_alloc(self, node: ast.Call, call: Any) -> Any:
        """Allocated objects: obj_new/obj_drop, Kptr fields and trees and lists, as Python
        objects and lists (one CPU: locks are always free)."""
        name = call.name
        if name == "obj_new":
            return zero(call.extra)
        if name == "obj_drop":
            return None
        if name == "refcount_acquire":           # one more reference to the same object
            return self.eval(node.args[0])
        if name == "percpu_obj_new":             # one copy per CPU; the simulator has one
            return [zero(call.extra)]
        if name == "percpu_obj_drop":
            return None
        if name in ("this_cpu_ptr", "per_cpu_ptr"):
            copies = self.eval(node.args[0]).obj
            cpu = 0 if name == "this_cpu_ptr" else \
                convert(self.eval(node.args[1]), self.fi.types[node.args[1]], u32)
            return copies[cpu] if copies is not None and cpu < len(copies) else None
        if name == "kptr_xchg":
            slot = self.eval(node.args[0])
            new = node.args[1]
            old, slot.obj = slot.obj, None if isinstance(new, ast.Constant) else self.eval(new)
            return old
        root = self.eval(node.func.value)           # type: ignore[attr-defined]
        meth = name.split("_", 1)[1]
        if root.tree is not None:
            return self._rbtree(root.tree, node, meth)
        items: list[Any] = root.list
        if meth in ("push_front", "push_back"):
            n = self.eval(node.args[0])
            if any(x is n for x in items):          # already linked: the kernel's -EINVAL
                return -22
            items.insert(0 if meth == "push_front" else len(items), n)
            return 0
        if not items:                # pop_front, pop_back, front, back
            return None
        at = -1 if meth.endswith("back") else 0
        return items.pop(at) if meth.startswith("pop") else items[at]

    def _rbtree(self, tree: Any, node: ast.Call, meth: str) -> Any:
        """A tree shaped as the kernel's (``rbtree.py``): root/left/right see its shape."""
        if meth == "add":
            less = node.args[1].id                   # type: ignore[attr-defined]
            n = self.eval(node.args[0])
            ok = tree.add(n, lambda a, b: self.sim.invoke(less, [a, b]))
            return 0 if ok else -22
        if meth in ("first", "root"):
            return tree.first() if meth == "first" else tree.top
        if meth == "pop_first":
            first = tree.first()
            return tree.remove(first) if first is not None else None
        x = self.eval(node.args[0])                  # remove, left, right
        return tree.remove(x) if meth == "remove" else getattr(tree, meth)(x)

    # ================================================================ maps
    def is_map(self, node: ast.expr) -> bool:
        return isinstance(self.fi.types.get(node), MapType)

    def map_of(self, node: ast.expr) -> Any:
        return self.sim.map_objects[node.id]         # type: ignore[attr-defined]

    def key(self, node: ast.expr, m: Any) -> Any:
        v = self.eval(node)
        if isinstance(v, Cell):
            v = v.value
        kt = m.key_type
        if isinstance(kt, (StructType, ArrayType)):
            return v
        return convert(v, self.fi.types[node], kt)

