"""Arrays of structs (a field ``pts: Inner[2]``, a global ``hs: Inner[4]``) through
``ebpfpy.load(module)``: BPF code writes them, userspace reads the module's own classes."""
from __future__ import annotations

import importlib.util
import textwrap

import ebpfpy

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, u32

    @struct
    class Inner:
        x: u32
        y: u32

    @struct
    class Outer:
        pts: Inner[2]
        n: u32

    hs: Inner[4]
    vals = Array(Outer, 1)

    @bpf_program("syscall")
    def main(ctx) -> int:
        global hs
        o = vals.lookup(0)
        if o is None:
            return 0
        o.pts[1].y = 7
        hs[3].x = 5
        return o.pts[1].y + hs[3].x
''')


def test_struct_arrays_from_an_imported_module(tmp_path):
    path = tmp_path / "struct_arrays_k.py"
    path.write_text(SRC)
    spec = importlib.util.spec_from_file_location("struct_arrays_k", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with ebpfpy.load(mod) as obj:
        obj.maps.vals[0] = mod.Outer(pts=[mod.Inner(x=1), mod.Inner(x=2)], n=3)
        assert obj.programs.main.test_run().retval == 12
        v = obj.maps.vals[0]
        assert isinstance(v, mod.Outer) and isinstance(v.pts[0], mod.Inner)
        assert v == mod.Outer(pts=[mod.Inner(x=1), mod.Inner(x=2, y=7)], n=3)
        assert obj.globals.hs == [mod.Inner(), mod.Inner(), mod.Inner(), mod.Inner(x=5)]
