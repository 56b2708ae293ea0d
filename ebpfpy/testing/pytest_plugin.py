"""pytest plugin: the ``ebpfpy_sim`` fixture, a factory of :class:`~ebpfpy.testing.Simulator`.

Loaded only when asked, so that installing ebpfpy leaves other pytest runs alone: run
``pytest -p ebpfpy.testing.pytest_plugin`` or put ``pytest_plugins =
["ebpfpy.testing.pytest_plugin"]`` in a ``conftest.py``.  Then::

    def test_counts(ebpfpy_sim):
        sim = ebpfpy_sim("count.py")          # relative to the test file's directory
        sim.run("on_open")
        assert sim.maps.counts[1000] == 1

``ebpfpy_sim(source=..., filename=...)`` and ``ebpfpy_sim(module)`` work too; keyword
arguments (``env=FakeKernel(pid=42)``) pass through.  Each call gives a fresh simulator (new
maps and globals); the checked module is cached, so many simulators of one file are cheap.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import pytest


@pytest.fixture
def ebpfpy_sim(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """A factory: ``ebpfpy_sim(path_or_module=None, *, source=None, filename=None, env=None)``."""
    from .sim import Simulator      # lazy: pytest loads the plugin in every run
    base = os.path.dirname(str(request.path)) if getattr(request, "path", None) else os.getcwd()

    def make(target: Any = None, **kw: Any) -> Simulator:
        if isinstance(target, (str, os.PathLike)) and not os.path.isabs(target):
            candidate = os.path.join(base, target)
            if os.path.exists(candidate):
                target = candidate
        return Simulator(target, **kw)
    return make
