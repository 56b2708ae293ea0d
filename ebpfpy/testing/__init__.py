"""``ebpfpy.testing``: run BPF programs and functions in CPython with the contract's semantics.

The simulator interprets the checked AST of a module (the same tables the compiler lowers), so
integer wrapping, floor division, shifts, casts, aliasing, map semantics and helper results
follow LANGUAGE.md exactly, and a unit test of BPF logic needs neither root nor a kernel::

    from ebpfpy.testing import Simulator
    sim = Simulator("count.py")
    r = sim.run("step", ctx=Args(a=1))
    assert r.retval == 0 and sim.maps.counts[3] == 1

See docs/testing.md.  The pytest fixture ``ebpfpy_sim`` comes from
:mod:`ebpfpy.testing.pytest_plugin`.
"""
from __future__ import annotations

from .fakes import FakeKernel
from .interp import SimulationError
from .maps import Cell
from .sim import RunResult, Simulator
from .values import SimStruct

__all__ = ["Simulator", "RunResult", "FakeKernel", "SimulationError", "SimStruct", "Cell"]
