"""Arrays of structs in userspace: ``Inner[2]`` as a field or a global's type must import under
CPython (the class is subscriptable, as ``u8[2]``) and pack, unpack and compare."""
from __future__ import annotations

import importlib.util
import textwrap

from ebpfpy.types import ArrayType

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, u32

    @struct
    class Inner:
        x: u32
        y: u32

    @struct
    class Outer:
        pts: Inner[2]
        grid: Inner[2][3]
        n: u32

    hs: Inner[4]
    vals = Array(Outer, 1)

    @bpf_program("syscall")
    def main(ctx) -> int:
        return 0
''')


def _import(tmp_path):
    path = tmp_path / "struct_arrays.py"
    path.write_text(SRC)
    spec = importlib.util.spec_from_file_location("struct_arrays", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_array_of_structs_imports_and_round_trips(tmp_path):
    mod = _import(tmp_path)
    inner = mod.Inner.__bpf_type__
    assert mod.Inner[4] == ArrayType(inner, 4)
    assert mod.Outer.__bpf_type__.by_name["grid"].type == ArrayType(ArrayType(inner, 3), 2)
    o = mod.Outer(pts=[mod.Inner(x=1), mod.Inner(y=2)], n=9)
    data = bytes(o)
    assert len(data) == 8 * 2 + 8 * 6 + 4
    back = mod.Outer.from_bytes(data)
    assert back == o and back.pts[1].y == 2 and back.grid[1][2] == mod.Inner()
