"""Differential testing: run generated programs in the kernel and in the simulator, compare.

Needs a kernel that allows ``bpf()``.  One module holds a batch of programs (one compile, one
load); each program runs on several ctx values in sequence, and after every run the retval,
the ctx bytes, both maps and the global must agree.  A batch that fails to compile or load is
split to find the program at fault.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api import compile_full
from ..errors import CompileError, LoadError
from .progen import ProgramSpec, batch_module
from .sim import Simulator
from .values import pack


@dataclass
class Mismatch:
    """A disagreement (or a compile/load failure) with everything needed to reproduce it."""

    spec: ProgramSpec
    kind: str                   # "retval" | "ctx" | "map" | "global" | "compile" | "load" | "sim"
    detail: str
    inputs: list[dict[str, Any]]

    def reproducer(self) -> str:
        """A self-contained script: the program, then the runs that expose the mismatch."""
        lines = [self.spec.module(), "", "if __name__ == '__main__':",
                 "    import ebpfpy", "    from ebpfpy.testing import Simulator",
                 f"    sim = Simulator(__file__)",
                 "    with ebpfpy.load(__file__) as obj:"]
        for inp in self.inputs:
            lines.append(f"        ctx = sim.structs.{self.spec.ctx_type.name}(**{inp!r})")
            lines.append(f"        k = obj.programs.{self.spec.prog}.test_run(ctx=bytes(ctx))")
            lines.append(f"        s = sim.run({self.spec.prog!r}, ctx={inp!r})")
            lines.append("        print(k.retval, s.retval, k.ctx == s.ctx)")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return f"[{self.kind}] {self.spec.prog}: {self.detail}\n--- reproducer ---\n{self.reproducer()}"


def _load(src: str, filename: str) -> Any:
    from ..loader.object import BpfObject       # lazy: cffi and libbpf only for kernel runs
    compiled = compile_full(source=src, filename=filename)
    return BpfObject(compiled.elf, compiled=compiled)


def run_batch(specs: list[ProgramSpec], inputs: list[list[dict[str, Any]]],
              filename: str = "fuzz.py") -> list[Mismatch]:
    """Compile, load and run every spec on its inputs in both worlds; every disagreement."""
    src = batch_module(specs)
    try:
        obj = _load(src, filename)
    except (CompileError, LoadError) as e:
        if len(specs) == 1:
            kind = "compile" if isinstance(e, CompileError) else "load"
            return [Mismatch(specs[0], kind, _shortened(str(e)), inputs[0])]
        mid = len(specs) // 2
        return run_batch(specs[:mid], inputs[:mid], filename) + run_batch(specs[mid:], inputs[mid:], filename)
    bad: list[Mismatch] = []
    with obj:
        sim = Simulator(source=src, filename=filename)
        for spec, ins in zip(specs, inputs):
            m = _run_one(obj, sim, spec, ins)
            if m is not None:
                bad.append(m)
    return bad


def _shortened(text: str, limit: int = 2000) -> str:
    """``text`` within ``limit`` characters: its first line (the headline, the kernel's
    reason) and its end (the last lines of the verifier log)."""
    if len(text) <= limit:
        return text
    head = text.splitlines()[0][:limit // 4]
    return head + "\n...\n" + text[-(limit - len(head) - 5):]


def _run_one(obj: Any, sim: Simulator, spec: ProgramSpec, ins: list[dict[str, Any]]) -> Mismatch | None:
    prog = obj.programs[spec.prog]
    for n, inp in enumerate(ins):
        done = ins[:n + 1]
        k = prog.test_run(ctx=pack(spec.ctx_type, inp))
        try:
            s = sim.run(spec.prog, ctx=inp)
        except Exception as e:      # a simulator bug is a finding too
            return Mismatch(spec, "sim", f"{type(e).__name__}: {e}", done)
        if k.retval != s.retval:
            return Mismatch(spec, "retval", f"run {n}: kernel {k.retval}, simulator {s.retval}", done)
        if k.ctx != s.ctx:
            kv = spec.ctx_type.unpack(k.ctx)
            return Mismatch(spec, "ctx", f"run {n}: kernel {kv}, simulator {s.value}", done)
        for name in (spec.hmap, spec.amap):
            kd = dict(obj.maps[name].items())
            sd = dict(sim.maps[name].items())
            if kd != sd:
                return Mismatch(spec, "map", f"run {n}: {name}: kernel {kd}, simulator {sd}", done)
        kg, sg = getattr(obj.globals, spec.glob), getattr(sim.globals, spec.glob)
        if kg != sg:
            return Mismatch(spec, "global", f"run {n}: {spec.glob}: kernel {kg}, simulator {sg}", done)
    return None
