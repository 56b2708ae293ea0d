"""Sleepable sections compile (even those this machine refuses to load, fentry.s and lsm.s),
keep their libbpf names in the ELF, and call bpf_copy_from_user; the same call from a
non-sleepable section is E280 naming that section."""
from __future__ import annotations

import pytest

from ebpfpy.api import compile_module
from ebpfpy.errors import CompileError
from ebpfpy.objfile.disasm import disasm
from ebpfpy.objfile.elf import BpfElf

SRC = '''
from ebpfpy import bpf_program, helpers, u8, u64

@bpf_program("{section}")
def main(ctx) -> int:
    buf = u8[8]()
    return helpers.copy_from_user(buf, u64(4096))
'''

SLEEPABLE = ["syscall", "uprobe.s//bin/true:main", "uretprobe.s//bin/true:main",
             "uprobe.s", "iter.s/task", "fentry.s/do_nanosleep", "fexit.s/do_nanosleep",
             "lsm.s/file_open"]


@pytest.mark.parametrize("section", SLEEPABLE)
def test_sleepable_sections_compile_copy_from_user(section: str) -> None:
    elf = BpfElf(compile_module(source=SRC.replace("{section}", section), filename="s.py"))
    assert [sec.name for sec in elf.program_sections] == [section]
    assert "bpf_copy_from_user" in disasm(elf)


@pytest.mark.parametrize("section", ["uprobe//bin/true:main", "iter/task", "fentry/do_nanosleep",
                                     "lsm/file_open", "xdp", "tc", "perf_event"])
def test_non_sleepable_sections_refuse_copy_from_user(section: str) -> None:
    with pytest.raises(CompileError) as ei:
        compile_module(source=SRC.replace("{section}", section), filename="s.py")
    text = str(ei.value)
    assert "[E280]" in text and repr(section) in text and "s.py:7:" in text


MAP_USE = '''
from ebpfpy import bpf_program, helpers, PerfEventArray, StackTraceMap, CgroupArray, ProgArray, i64, u64

events = PerfEventArray()
stacks = StackTraceMap(16)
cg = CgroupArray(2)
progs = ProgArray(2)

@bpf_program("{section}")
def main(ctx) -> int:
    {use}
    return 0
'''
USES = {"events": "events.output(ctx, u64(1))", "stacks": "x: i64 = stacks.get_stackid(ctx, 0)",
        "cg": "x: i64 = helpers.current_task_under_cgroup(cg, 0)", "progs": "progs.tail_call(ctx, 0)"}


@pytest.mark.parametrize("name", sorted(USES))
@pytest.mark.parametrize("section", ["syscall", "uprobe.s//bin/true:main"])
def test_sleepable_programs_refuse_the_maps_the_verifier_refuses(section: str, name: str) -> None:
    src = MAP_USE.replace("{section}", section).replace("{use}", USES[name])
    with pytest.raises(CompileError) as ei:
        compile_module(source=src, filename="m.py")
    text = str(ei.value)
    assert "[E281]" in text and f"{name} is a " in text and "m.py:11:" in text


def test_the_same_maps_compile_in_a_non_sleepable_uprobe() -> None:
    for use in USES.values():
        src = MAP_USE.replace("{section}", "uprobe//bin/true:main").replace("{use}", use)
        assert compile_module(source=src, filename="m.py")
