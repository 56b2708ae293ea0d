"""The kernel, plain CPython and the simulator agree on LANGUAGE.md §4's stores: storing a
struct or array into a field or element copies it, a second name aliases (the program of
compiler_tests/test_store_copies.py, loaded and run with BPF_PROG_TEST_RUN)."""
from __future__ import annotations

from pathlib import Path

import ebpfpy
from ebpfpy.testing import Simulator

from compiler_tests.test_store_copies import EXPECTED_CTX, EXPECTED_RET, INPUT, build, load_module


def test_kernel_cpython_and_simulator_agree_on_stores(tmp_path: Path) -> None:
    mod = load_module(tmp_path)
    with ebpfpy.load(str(tmp_path / "copies.py")) as obj:
        k = obj.programs.run.test_run(ctx=bytes(build(mod, INPUT)))
    ev = build(mod, INPUT)
    py_ret = mod.run(ev)
    s = Simulator(str(tmp_path / "copies.py")).run("run", ctx=INPUT)
    assert k.retval == py_ret == s.retval == EXPECTED_RET
    assert k.ctx == bytes(ev) == s.ctx == bytes(build(mod, EXPECTED_CTX))
