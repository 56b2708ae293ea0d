"""``if m.lookup(k) is None:`` written inline (the E113 note suggested it, and it was E113):
presence tested without keeping the reference.  Kernel, simulator and a dict model agree."""
from __future__ import annotations

import textwrap

import ebpfpy
from ebpfpy.testing import Simulator

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, HashMap, u32, u64

    m = HashMap(u32, u64, max_entries=16)

    @bpf_program("syscall")
    def main(ctx) -> int:
        n: u64 = 0
        for k in range(4):
            if m.lookup(k) is None:
                m[k] = 10 + k
                n += 1
            if m.lookup(k + 1) is not None:
                n += 100
        return n
''')


def model(d: dict[int, int]) -> int:
    n = 0
    for k in range(4):
        if d.get(k) is None:
            d[k] = 10 + k
            n += 1
        if d.get(k + 1) is not None:
            n += 100
    return n


def test_inline_lookup_is_none(tmp_path) -> None:
    path = tmp_path / "inline.py"
    path.write_text(SOURCE)
    want = {2: 5}
    expected = model(want)
    sim = Simulator(str(path))
    sim.maps.m[2] = 5
    assert sim.run("main").retval == expected
    assert dict(sim.maps.m.items()) == want
    with ebpfpy.load(str(path)) as obj:
        obj.maps.m[2] = 5
        assert obj.programs.main.test_run().retval == expected == 103
        assert dict(obj.maps.m.items()) == want
