"""Compiler bugs the differential fuzzer found, kept as regression tests (no kernel needed).

LLVM aborts the whole process on these (a fatal error, not an exception), so each compile
runs in a subprocess.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

HEAD = "from ebpfpy import bpf_program, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64\n"

CASES = {
    # m.get(k, default) on an integer value built a phi whose second edge named its own block
    "get_default_scalar": """
        h = HashMap(u32, u64, max_entries=4)
        @bpf_program("syscall")
        def run(ctx) -> int:
            return i32(h.get(1, 7))
    """,
    # m[k] op= v on 8/16-bit values asked LLVM for an atomic BPF does not have
    "aug_narrow_map_value": """
        h = HashMap(u32, u8, max_entries=4)
        a = Array(i16, 4)
        @bpf_program("syscall")
        def run(ctx) -> int:
            h[1] += 200
            h[2] -= 1
            a[1] |= 3
            a[2] ^= 5
            a[3] &= 1
            return 0
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiles_to_an_object(name: str) -> None:
    src = HEAD + textwrap.dedent(CASES[name])
    code = ("import ebpfpy, sys; elf = ebpfpy.compile(source=sys.stdin.read(), filename='r.py'); "
            "assert elf[:4] == b'\\x7fELF'")
    p = subprocess.run([sys.executable, "-c", code], input=src, text=True, capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]


def test_simulator_values_for_the_regressions() -> None:
    from ebpfpy.testing import Simulator
    sim = Simulator(source=HEAD + textwrap.dedent(CASES["aug_narrow_map_value"]), filename="r.py")
    sim.run("run")
    sim.run("run")
    assert dict(sim.maps.h.items()) == {1: 144, 2: 254}       # 400 % 256, -2 % 256
    assert list(sim.maps.a.values()) == [0, 3, 0, 0]
    sim = Simulator(source=HEAD + textwrap.dedent(CASES["get_default_scalar"]), filename="r.py")
    assert sim.run("run").retval == 7
    sim.maps.h[1] = 3
    assert sim.run("run").retval == 3


def test_fuzz_detail_keeps_the_headline_and_the_log_end() -> None:
    """A long load error kept only its last 2,000 characters: the report of seed 2 program
    3312 lost the headline (the kernel's reason) and showed only the log's tail."""
    from ebpfpy.testing.difftest import _shortened
    text = "f.py:9:5: error: verifier rejected program 'p': BPF program is too large\n" + \
        "\n".join(f"{i}: (07) r1 += 1" for i in range(400)) + "\nprocessed 1000001 insns"
    out = _shortened(text)
    assert len(out) <= 2000 and out.splitlines()[0] == text.splitlines()[0]
    assert out.endswith("processed 1000001 insns")
    assert _shortened("short") == "short"
