"""``Simulator``: run a BPF module's programs and functions in CPython, without a kernel."""
from __future__ import annotations

import os
import types as _pytypes
from dataclasses import dataclass, field
from typing import Any

from ..api import compile_module
from ..codec import check
from ..model.typed import CheckedModule
from ..types import ArrayType, BpfType, IntType, StructType, u32
from .fakes import FakeKernel
from . import packets
from .interp import Frame, SimulationError, TailCall
from .maps import SimRingBuf, make_map
from .values import SimStruct, SimTimer, convert, copy, copy_into, from_user, pack, struct_class, unpack, zero

MAX_TAIL_CALLS = 33                 # the kernel's MAX_TAIL_CALL_CNT
_CTX_SIZES = {"xdp": 24, "tc": 192, "socket": 192, "cgroup_skb": 192, "raw_tp": 96}
_CHECK_CACHE: dict[tuple[str, str], CheckedModule] = {}


# where the simulator's tracepoint record lives for reads of its __data_loc strings
CTX_ADDRESS = 0xFFFF_8880_0000_0000


@dataclass
class RunResult:
    """What one simulated ``test_run`` gives, shaped like the loader's result.

    ``retval`` is the program's return value as the kernel reports it (a ``u32``: ``-1``
    reads ``4294967295``; ``ret`` is the same value as a signed ``i32``); ``ctx`` the ctx bytes
    after the run (``syscall`` programs), ``value`` the same ctx as a struct; ``data`` the
    packet after the run (XDP/tc); ``printk`` and ``events`` what this run printed and output.
    """

    retval: int
    ctx: bytes | None = None
    value: Any = None
    data: bytes | None = None
    printk: list[str] = field(default_factory=list)
    events: dict[str, list[Any]] = field(default_factory=dict)
    program: str = ""

    @property
    def ret(self) -> int:
        return self.retval - (1 << 32) if self.retval & (1 << 31) else self.retval


class _Namespace:
    """Attribute and item access over a dict (``sim.maps.counts``, ``sim.maps["counts"]``)."""

    def __init__(self, items: dict[str, Any], kind: str) -> None:
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_kind", kind)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(f"no {self._kind} named {name!r}; have: "
                                 f"{', '.join(sorted(self._items)) or 'none'}") from None

    __getitem__ = __getattr__

    def __iter__(self) -> Any:
        return iter(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __dir__(self) -> list[str]:
        return sorted(self._items)


class _Globals:
    """``sim.globals.total`` reads and writes a global with its type's conversions."""

    def __init__(self, sim: "Simulator") -> None:
        object.__setattr__(self, "_sim", sim)

    def _type(self, name: str) -> BpfType:
        defs = self._sim.global_defs
        if name not in defs:
            raise AttributeError(f"no global named {name!r}; have: {', '.join(sorted(defs)) or 'none'}")
        return defs[name].type

    def __getattr__(self, name: str) -> Any:
        t = self._type(name)
        return copy(t, self._sim.global_values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        t = self._type(name)
        if self._sim.global_defs[name].const:     # as the loader: .rodata is frozen at load
            raise AttributeError(f"Const global {name!r} was frozen at load: give it with "
                                 f"Simulator(..., config={{{name!r}: ...}})")
        v = from_user(t, value)
        if isinstance(t, (StructType, ArrayType)):
            copy_into(t, self._sim.global_values[name], v)
        else:
            self._sim.global_values[name] = v

    __getitem__ = __getattr__
    __setitem__ = __setattr__

    def __dir__(self) -> list[str]:
        return sorted(self._sim.global_defs)


class CtxArray:
    """An array field of a kernel ctx (``ctx.args``, ``ctx.cb``), read and written in place."""

    def __init__(self, buf: bytearray, t: ArrayType, off: int) -> None:
        self.buf, self.t, self.off = buf, t, off

    def _at(self, i: int) -> int:
        return self.off + i * self.t.elem.size

    def __getitem__(self, i: int) -> Any:
        o = self._at(i)
        return unpack(self.t.elem, bytes(self.buf[o:o + self.t.elem.size]))

    def __setitem__(self, i: int, v: Any) -> None:
        o = self._at(i)
        self.buf[o:o + self.t.elem.size] = pack(self.t.elem, v)

    def __len__(self) -> int:
        return self.t.length


def check_source(source: str, filename: str) -> CheckedModule:
    """The checker's result for a module (cached: the interpreter never mutates it)."""
    key = (filename, source)
    cm = _CHECK_CACHE.get(key)
    if cm is None:
        cm = compile_module(source=source, filename=filename, stop_after="check")
        if len(_CHECK_CACHE) > 256:
            _CHECK_CACHE.clear()
        _CHECK_CACHE[key] = cm
    return cm


class Simulator:
    """A BPF module run by the CPython reference model.

    ``Simulator("prog.py")``, ``Simulator(source=..., filename=...)`` or
    ``Simulator(module)`` compiles the module up to the checker (so every compile error is
    raised as :class:`ebpfpy.CompileError`, exactly as ``ebpfpy.compile`` would), then keeps
    in-memory maps and globals that persist across runs:

    - ``sim.run("prog", ctx=..., data=...)`` runs a program → :class:`RunResult`;
    - ``sim.call("fn", *args)`` calls a ``@bpf_function`` (struct/array arguments by reference);
    - ``sim.maps.NAME`` (dict-like, as the loader's maps), ``sim.globals.NAME``,
      (``Const`` globals are given with ``config={...}`` and read-only afterwards),
      ``sim.structs.NAME(...)``;
    - ``sim.printk_lines`` (every ``printk``), ``sim.events("rb")`` (every ring-buffer or
      perf-buffer record);
    - ``sim.env`` (:class:`~ebpfpy.testing.fakes.FakeKernel`): pid, comm, clock, random seed.
    """

    def __init__(self, path: Any = None, *, source: str | None = None, filename: str | None = None,
                 env: FakeKernel | None = None, config: dict[str, Any] | None = None) -> None:
        if isinstance(path, _pytypes.ModuleType):
            path = path.__file__
        if source is None:
            if path is None:
                raise TypeError("Simulator needs a path, a module or source=")
            with open(os.fspath(path), encoding="utf-8") as f:
                source = f.read()
            filename = filename or os.fspath(path)
        self.filename = filename or "<string>"
        self.checked: CheckedModule = check_source(source, self.filename)
        info = self.checked.info
        self.env = env or FakeKernel()
        self.global_defs = dict(info.globals)
        self.global_values: dict[str, Any] = {}
        for name, g in info.globals.items():
            self.global_values[name] = zero(g.type) if isinstance(g.type, (StructType, ArrayType)) \
                else convert(g.init, None, g.type)
        self._configure(config or {})
        self.map_objects = {name: make_map(name, m.type, m.event) for name, m in info.maps.items()}
        self.maps = _Namespace(self.map_objects, "map")
        for array, parts in self.checked.chains.items():    # as the loader fills them
            for i, part in enumerate(parts):
                self.map_objects[array][i] = part
        self.globals = _Globals(self)
        self.structs = _Namespace({n: struct_class(t) for n, t in info.structs.items()}, "struct")
        self.programs = sorted(info.programs)
        self.functions = sorted(n for n in info.functions if n in self.checked.funcs)
        self.printk_lines: list[str] = []
        self.armed_timers: list[SimTimer] = []
        self._ctx_buf: bytearray | None = None
        self._packet: bytearray | None = None
        self._packet_refs: list[tuple[Any, BpfType, int]] = []
        self._meta = bytearray()             # XDP metadata in front of the packet
        self._meta_refs: list[tuple[Any, BpfType]] = []
        self._headroom = 0

    def _configure(self, config: dict[str, Any]) -> None:
        """Set ``Const`` globals as ``ebpfpy.load(..., config=...)`` does (same checks)."""
        for name, value in config.items():
            g = self.global_defs.get(name)
            if g is None or not g.const:
                consts = ", ".join(sorted(n for n, d in self.global_defs.items() if d.const))
                what = "is not Const" if g is not None else "does not exist"
                raise AttributeError(f"global {name!r} {what} (Const globals: {consts or 'none'})")
            check(g.type, value, f"Const global {name!r}")
            self.global_values[name] = from_user(g.type, value)

    # ---------------------------------------------------------------- running
    def invoke(self, name: str, args: list[Any]) -> Any:
        """Run function ``name`` with already-converted arguments (used by the interpreter)."""
        fi = self.checked.funcs[name]
        fr = Frame(self, fi)
        if fi.params and fi.params[0].mode == "ctx":
            fr.ctx = self._ctx_buf
        return fr.run(args)

    def call(self, name: str, *args: Any) -> Any:
        """Call ``@bpf_function`` ``name``; integer arguments are converted to the parameter
        types, struct/array arguments are passed by reference (a simulator struct or list is
        changed in place; a user ``@struct`` instance gets its fields written back)."""
        fi = self._func(name, program=False)
        if len(args) != len(fi.params):
            raise TypeError(f"{name}() takes {len(fi.params)} arguments, got {len(args)}")
        conv = []
        for p, a in zip(fi.params, args):
            if p.mode == "value":
                conv.append(from_user(p.type, a))
            elif isinstance(a, (list, SimStruct)):
                conv.append(a)
            else:
                conv.append(from_user(p.type, a))
        r = self.invoke(name, conv)
        for p, a, c in zip(fi.params, args, conv):
            if p.mode != "value" and c is not a:
                _write_back(p.type, a, c)
        return r

    def run(self, name: str, ctx: Any = None, data: bytes | None = None) -> RunResult:
        """Run program ``name`` once, as ``test_run(ctx=..., data=...)`` would.

        ``ctx``: for a ``syscall`` program with a ``@struct`` ctx, an instance (yours or
        ``sim.structs.T``), a dict or bytes; for other kinds, raw ctx bytes.  ``data``: the
        packet for XDP/tc/socket programs.
        """
        fi = self._func(name, program=True)
        n_printk = len(self.printk_lines)
        n_events = {k: len(m.records) for k, m in self.map_objects.items() if isinstance(m, SimRingBuf)}
        ctx_t = fi.ctx_type
        value = None
        if isinstance(ctx_t, StructType):
            value = from_user(ctx_t, ctx) if ctx is not None else zero(ctx_t)
        else:
            size = _CTX_SIZES.get(fi.ctx_kind, 0)
            raw = bytes(ctx or b"")
            self._ctx_buf = bytearray(raw.ljust(size, b"\0"))
        self._packet = bytearray(data) if data is not None else None
        self._packet_refs = []
        packets.reset(self)
        prog, tail_calls = name, 0
        while True:
            try:
                ret = self.invoke(prog, [value])
                break
            except TailCall as tc:
                tail_calls += 1
                if tail_calls > MAX_TAIL_CALLS:
                    raise SimulationError("more than 33 tail calls") from None
                prog = tc.name
                self._func(prog, program=True)
        self._flush_packet(fi.ctx_kind)
        res = RunResult(retval=convert(int(ret), None, u32), program=name,
                        printk=self.printk_lines[n_printk:],
                        events={k: m.records[n_events[k]:] for k, m in self.map_objects.items()
                                if isinstance(m, SimRingBuf)})
        if isinstance(ctx_t, StructType):
            res.ctx, res.value = pack(ctx_t, value), value
            if ctx is not None and not isinstance(ctx, (bytes, bytearray, dict)):
                _write_back(ctx_t, ctx, value)
        elif ctx is not None:
            res.ctx = bytes(self._ctx_buf or b"")
        if self._packet is not None:
            packets.flush_meta(self)     # XDP test_run hands back the metadata in front
            res.data = bytes(self._meta) + bytes(self._packet)
        return res

    def events(self, name: str) -> list[Any]:
        """Every record ``output`` to ring buffer or perf event array ``name`` so far
        (decoded to its event type)."""
        m = self.map_objects[name]
        if not isinstance(m, SimRingBuf):
            raise TypeError(f"{name} is a {m.type.kind}, not a RingBuf or PerfEventArray")
        return list(m.records)

    def run_timers(self, limit: int = 1000) -> int:
        """Fire armed timers (soonest first) until none is armed or ``limit`` callbacks ran."""
        fired = 0
        while self.armed_timers and fired < limit:
            self.armed_timers.sort(key=lambda t: t.armed_ns or 0)
            t = self.armed_timers.pop(0)
            if t.armed_ns is None or t.callback is None:
                continue
            t.armed_ns = None
            kv = self._timer_owner(t)
            if kv is None:
                continue
            self.invoke(t.callback, [0, kv[0], kv[1]])
            fired += 1
        return fired

    def _timer_owner(self, t: SimTimer) -> tuple[Any, Any] | None:
        m = self.map_objects.get(t.map)
        if m is None or isinstance(m, SimRingBuf):        # timers live in keyed maps only
            return None
        for kb, s in m.data.items():
            if _contains(s, t):
                return unpack(m.key_type, kb), s
        return None

    def _func(self, name: str, program: bool) -> Any:
        fi = self.checked.funcs.get(name)
        kind = "program" if program else "@bpf_function"
        names = self.programs if program else self.functions
        if fi is None or (fi.fdef.section is not None) != program:
            raise KeyError(f"no {kind} named {name!r}; have: {', '.join(names) or 'none'}")
        return fi

    # ---------------------------------------------------------------- kernel contexts
    def ctx_load(self, frame: Frame, what: tuple[str, BpfType, int]) -> Any:
        _name, t, off = what
        if isinstance(t, IntType):
            v = packets.packet_field(self, frame.fi.ctx_kind, off)
            if v is not None:
                return v
        buf = self._ctx_buf if self._ctx_buf is not None else bytearray(off + t.size)
        if isinstance(t, ArrayType):
            return CtxArray(buf, t, off)
        return unpack(t, bytes(buf[off:off + t.size]).ljust(t.size, b"\0"))

    def data_loc(self, frame: Frame, what: tuple[str, Any, int]) -> int:
        """``ctx.NAME`` of a ``__data_loc`` field: the record sits at :data:`CTX_ADDRESS` in
        the fake kernel's memory, so ``probe_read_kernel_str`` reads the string from it."""
        _name, t, off = what
        buf = self._ctx_buf if self._ctx_buf is not None else bytearray(off + 4)
        loc = int.from_bytes(bytes(buf[off:off + 4]).ljust(4, b"\0"), "little") & 0xFFFF
        self.env.memory[CTX_ADDRESS] = bytes(buf) + bytes(4096)   # room for a _str read
        return CTX_ADDRESS + loc + (off + 4 if t.relative else 0)

    def ctx_store(self, frame: Frame, what: tuple[str, BpfType, int], v: Any, src: Any) -> None:
        _name, t, off = what
        if self._ctx_buf is None:
            return
        self._ctx_buf[off:off + t.size] = pack(t, convert(v, src, t) if isinstance(t, IntType) else v)

    def packet_load(self, t: BpfType, off: int) -> Any:
        """``ctx.load(T, off)``: a ``T`` over the packet bytes, or None past the end."""
        pkt = self._packet
        if pkt is None or off + t.size > len(pkt):
            return None
        v = unpack(t, bytes(pkt[off:off + t.size]))
        self._packet_refs.append((v, t, off))
        return v

    def _flush_packet(self, kind: str) -> None:
        # XDP/tc references point into the packet: what the program wrote is in r.data.
        # Socket filters read through bpf_skb_load_bytes, a copy: nothing flows back.
        if self._packet is None or kind == "socket":
            return
        for v, t, off in self._packet_refs:
            self._packet[off:off + t.size] = pack(t, v)


def _contains(value: Any, t: SimTimer) -> bool:
    if value is t:
        return True
    if isinstance(value, list):
        return any(_contains(x, t) for x in value)
    if hasattr(value, "__bpf_type__"):
        return any(_contains(getattr(value, f.name), t) for f in type(value).__bpf_type__.fields)
    return False


def _write_back(t: BpfType, user: Any, v: Any) -> None:
    """Copy a simulated struct/array back into the caller's own object (best effort)."""
    if isinstance(t, StructType) and not isinstance(user, (bytes, bytearray)):
        for f in t.fields:
            fv = getattr(v, f.name)
            if isinstance(user, dict):
                user[f.name] = fv
            elif hasattr(user, f.name):
                cur = getattr(user, f.name)
                if isinstance(f.type, (StructType, ArrayType)) and not isinstance(cur, (bytes, bytearray)):
                    _write_back(f.type, cur, fv)
                else:
                    object.__setattr__(user, f.name, fv)
    elif isinstance(t, ArrayType) and isinstance(user, list):
        for i in range(min(len(user), t.length)):
            if isinstance(t.elem, (StructType, ArrayType)):
                _write_back(t.elem, user[i], v[i])
            else:
                user[i] = v[i]
