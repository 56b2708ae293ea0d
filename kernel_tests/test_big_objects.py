"""Objects past 4 KB: copied (and zeroed) by a loop of 1 KB chunks, not one aggregate load and
store (LLVM's instruction selection aborted the process past 65,535 elements, and merged
unrolled chunks into a call to memcpy, which BPF cannot make).  The kernel's result is the
one Python computes for the same copy."""
from __future__ import annotations

import textwrap

import pytest

import ebpfpy

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, Array, u8, u32

    @struct
    class Big:
        a: u8[{n}]
        b: u8[{n}]

    store = Array(Big, 1)

    @bpf_program("syscall")
    def copy(ctx) -> int:
        v = store.lookup(0)
        if v is None:
            return 1
        v.b = v.a
        return 0
''')


@pytest.mark.parametrize("n", [5000, 200_000])
def test_copy_of_a_big_array_field(tmp_path, n: int) -> None:
    path = tmp_path / "big.py"
    path.write_text(SOURCE.format(n=n))
    pattern = [(i * 7 + 3) % 251 for i in range(n)]
    with ebpfpy.load(str(path)) as obj:
        v = obj.maps.store[0]
        v.a = pattern
        v.b = [0xAA] * n
        obj.maps.store[0] = v
        assert obj.programs.copy.test_run().retval == 0
        got = obj.maps.store[0]
    assert list(got.b) == pattern == list(got.a)
