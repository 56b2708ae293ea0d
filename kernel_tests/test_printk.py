"""printk in the kernel: more than 3 values (bpf_trace_vprintk) and ``%s`` of a ``u8[N]``,
compared line by line with what the simulator (the CPython reference) prints.

The lines are read from a private tracing instance with the ``bpf_trace_printk`` event
enabled, not from the shared trace_pipe, so parallel readers cannot take them away."""
from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, helpers, u8, u32, i8, i64

    @struct
    class Args:
        tag: u8[8]
        n: u32

    @bpf_program("syscall")
    def show(ctx: Args) -> int:
        helpers.printk("ebpfpy-l12 a=%d b=%u c=%x d=%s e=%d f=%d g=%c", i8(-3), ctx.n, 255,
                       ctx.tag, ctx.n * 2, i64(-9000000000), ord("z"))
        word = u8[6]()
        word[0] = ord("h")
        word[1] = ord("i")
        helpers.printk("ebpfpy-l12 word=%s n=%d", word, ctx.n)
        helpers.printk("ebpfpy-l12 %d %d %d %d %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7,
                       8, 9, 10, 11, ctx.n)
        return 0
''')


@pytest.fixture
def printk_lines(tracefs: Path) -> Iterator[Path]:
    """A tracing instance recording only bpf_trace_printk events; removed afterwards."""
    inst = tracefs / "instances" / f"ebpfpy_printk_{os.getpid()}"
    inst.mkdir()
    try:
        (inst / "events/bpf_trace/bpf_trace_printk/enable").write_text("1")
        yield inst / "trace"
    finally:
        (inst / "events/bpf_trace/bpf_trace_printk/enable").write_text("0")
        inst.rmdir()


def _printed(trace: Path) -> list[str]:
    out = []
    for line in trace.read_text().splitlines():
        m = re.search(r"bpf_trace_printk: (ebpfpy-l12 .*)$", line)
        if m:
            out.append(m.group(1))
    return out


def test_printk_many_values_and_strings_match_simulator(printk_lines: Path) -> None:
    elf = ebpfpy.compile(source=SRC, filename="printk12.py")
    ctx = b"tag7\0\0\0\0" + (41).to_bytes(4, "little")
    with ebpfpy.load(elf) as obj:
        assert obj.programs.show.test_run(ctx=ctx).retval == 0
    sim = Simulator(source=SRC, filename="printk12.py").run("show", ctx=ctx).printk
    kernel = _printed(printk_lines)
    assert kernel == sim == [
        "ebpfpy-l12 a=-3 b=41 c=ff d=tag7 e=82 f=-9000000000 g=z",
        "ebpfpy-l12 word=hi n=41",
        "ebpfpy-l12 1 2 3 4 5 6 7 8 9 10 11 41"]
