"""Module constants written as a tuple assignment (C's ``enum { MOUNT = 1, UMOUNT }`` ported
as ``MOUNT, UMOUNT = 1, 2``) are constants in BPF code, as one assignment per line is; an
unpacking whose values are not all constant stays Python's, and BPF code naming it gets
E060 at the use."""
from __future__ import annotations

import pytest

from ebpfpy.api import compile_full
from ebpfpy.errors import CompileError

SOURCE = """
from ebpfpy import bpf_program, Array, u64
MOUNT, UMOUNT = 1, 2 + 1
out = Array(u64, 4)

@bpf_program("tracepoint/syscalls/sys_enter_getpid")
def prog(ctx) -> int:
    out[MOUNT] = UMOUNT
    return 0
"""


def test_tuple_of_constants_defines_each_name() -> None:
    mod = compile_full(None, source=SOURCE, filename="consts.py")
    assert mod.elf


def test_unpacking_a_non_constant_stays_python() -> None:
    src = SOURCE.replace("MOUNT, UMOUNT = 1, 2 + 1", "import os\nMOUNT, UMOUNT = 1, os.getpid()")
    with pytest.raises(CompileError) as e:
        compile_full(None, source=src, filename="consts.py")
    text = str(e.value)
    assert "E060" in text and "'MOUNT'" in text and "out[MOUNT]" in text
