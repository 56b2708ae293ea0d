"""LANGUAGE.md §4: storing a struct or array into a field or an element copies it, and
``q = p`` binds a second name to the same object.  The ``@struct`` classes give plain CPython
the same semantics, so a BPF function run as Python computes what the simulator (and the
kernel, kernel_tests/test_store_copies.py) computes: a swap through a temporary name does not
swap."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ebpfpy.testing import Simulator

SOURCE = '''
from ebpfpy import struct, u32, u8, bpf_function, bpf_program


@struct
class Pt:
    x: u32
    y: u32


@struct
class Ev:
    src: Pt
    dst: Pt
    pts: Pt[2]
    rows: u8[2][3]
    raw: u8[4]


@bpf_function
def swap(e: Ev) -> u32:
    t = e.dst              # a second name for e.dst
    e.dst = e.src          # copies src into dst: t sees it
    e.src = t              # copies dst (now src's contents) back: no swap
    return e.src.x


@bpf_program("syscall")
def run(ctx: Ev) -> int:
    r = swap(ctx)
    q = ctx.pts[0]
    ctx.pts[0] = ctx.pts[1]
    ctx.pts[1] = q
    row = ctx.rows[0]
    ctx.rows[0] = ctx.rows[1]
    ctx.rows[1] = row
    a = ctx.raw
    ctx.raw[0] = 9
    return int(r + a[0] + q.x + row[2])
'''

INPUT = dict(src=dict(x=1, y=2), dst=dict(x=3, y=4), pts=[dict(x=5, y=6), dict(x=7, y=8)],
             rows=[[1, 2, 3], [4, 5, 6]], raw=[1, 2, 3, 4])
# what LANGUAGE.md gives: every swap leaves both sides equal to the second one
EXPECTED_CTX = dict(src=dict(x=1, y=2), dst=dict(x=1, y=2), pts=[dict(x=7, y=8), dict(x=7, y=8)],
                    rows=[[4, 5, 6], [4, 5, 6]], raw=[9, 2, 3, 4])
EXPECTED_RET = 1 + 9 + 7 + 6


def load_module(tmp_path: Path) -> ModuleType:
    path = tmp_path / "copies.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("copies_under_test", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        del sys.modules[spec.name]
    return mod


def build(mod: ModuleType, d: dict) -> object:
    """``d`` as an ``Ev`` made by the module's own classes."""
    return mod.Ev(src=mod.Pt(**d["src"]), dst=mod.Pt(**d["dst"]),
                  pts=[mod.Pt(**p) for p in d["pts"]], rows=[list(r) for r in d["rows"]],
                  raw=bytes(d["raw"]))


def test_cpython_stores_copy_as_the_contract_says(tmp_path: Path) -> None:
    mod = load_module(tmp_path)
    ev = build(mod, INPUT)
    assert mod.run(ev) == EXPECTED_RET
    assert ev == build(mod, EXPECTED_CTX)
    # the objects keep their identity: a store never rebinds a field
    dst = ev.dst
    ev.dst = mod.Pt(x=40, y=41)
    assert dst is ev.dst and dst.x == 40


def test_decoded_values_store_by_copy_too(tmp_path: Path) -> None:
    mod = load_module(tmp_path)
    ev = mod.Ev.from_bytes(bytes(build(mod, INPUT)))
    assert mod.run(ev) == EXPECTED_RET
    assert bytes(ev) == bytes(build(mod, EXPECTED_CTX))


def test_simulator_agrees_with_cpython(tmp_path: Path) -> None:
    mod = load_module(tmp_path)
    r = Simulator(str(tmp_path / "copies.py")).run("run", ctx=INPUT)
    assert r.retval == EXPECTED_RET
    assert r.ctx == bytes(build(mod, EXPECTED_CTX))
