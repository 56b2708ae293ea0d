"""Character literals: ``ord("b")`` is the constant 98 (C's ``'b'``), at module level and in
BPF code; kernel and simulator agree."""
from __future__ import annotations

import textwrap

import ebpfpy
from ebpfpy.testing import Simulator

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, u8

    SEP = ord("/")
    NAME_LEN = 8

    @struct
    class Path:
        name: u8[8]

    @bpf_program("syscall")
    def count_seps(ctx: Path) -> int:
        n = 0
        for i in range(NAME_LEN):
            if ctx.name[i] == SEP or ctx.name[i] == ord(b"\\\\"):
                n += 1
        return n * 1000 + ord("a")
''')


def test_ord_in_kernel_and_simulator():
    path = b"a/b\\c/d".ljust(8, b"\0")          # three separators: /, backslash, /
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="chars.py")) as obj:
        kernel = obj.programs.count_seps.test_run(ctx=path).retval
    sim = Simulator(source=SRC, filename="chars.py")
    assert kernel == 3097 == sim.run("count_seps", ctx=path).retval
