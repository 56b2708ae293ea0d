"""printk / seq_printf: the helper each call lowers to, and the stack its values take."""
from __future__ import annotations

import textwrap

import ebpfpy
from ebpfpy.cli_run import _uses_printk
from ebpfpy.objfile.elf import BpfElf
from ebpfpy.objfile.insn import decode

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, helpers, u8

    @bpf_program("syscall")
    def main(ctx) -> int:
        helpers.printk("%d %d %d %d", 1, 2, 3, 4)
        return 0
''')


def _helper_ids(elf: bytes) -> set[int]:
    return {i.imm for sec in BpfElf(elf).code_sections for i in decode(sec.data)
            if i.is_call and i.src == 0}


def test_four_values_call_vprintk_and_ebpfpy_run_watches_it() -> None:
    elf = ebpfpy.compile(source=SRC, filename="p.py")
    assert _helper_ids(elf) == {177}                 # bpf_trace_vprintk
    assert _uses_printk(elf)


def test_three_values_call_trace_printk() -> None:
    elf = ebpfpy.compile(source=SRC.replace("%d %d %d %d\", 1, 2, 3, 4", "%d %d %d\", 1, 2, 3"),
                         filename="p.py")
    assert _helper_ids(elf) == {6}                   # bpf_trace_printk


def test_vprintk_values_count_toward_the_stack() -> None:
    src = SRC.replace('helpers.printk("%d %d %d %d", 1, 2, 3, 4)',
                      'buf = u8[440]()\n    helpers.printk("' + "%d " * 12 + '"' + ", 1" * 12 + ")")
    try:
        ebpfpy.compile(source=src, filename="p.py")
    except ebpfpy.CompileError as e:
        assert e.code == "E240" and "the values of helpers.printk" in str(e)
    else:
        raise AssertionError("440 + 96 bytes of values + locals should exceed 512")
