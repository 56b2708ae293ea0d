"""CO-RE features and tracepoint strings, without the kernel: how the compiler types them,
what the simulator computes, and what the object carries for libbpf."""
from __future__ import annotations

import struct

from ebpfpy.frontend.contexts import parse_format
from ebpfpy.model.kernel_types import DataLoc
from ebpfpy.testing import FakeKernel, Simulator
from ebpfpy.types import u32

EXEC_FORMAT = """name: sched_process_exec
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:__rel_loc char[] other;\toffset:16;\tsize:4;\tsigned:0;
"""


def test_data_loc_fields_from_tracefs_format() -> None:
    """A ``__data_loc`` field gives the string (by its name) and the raw u32 (C's name)."""
    fields = parse_format(EXEC_FORMAT)
    name, t, off = fields["filename"]
    assert isinstance(t, DataLoc) and not t.relative and off == 8
    assert fields["__data_loc_filename"] == ("__data_loc_filename", u32, 8)
    assert isinstance(fields["other"][1], DataLoc) and fields["other"][1].relative
    assert fields["__rel_loc_other"][2] == 16
    assert fields["pid"][2] == 12


SIM = '''
from ebpfpy import bpf_program, helpers, u8, u64, Array

names = Array(u8[32], 1)
seen = Array(u64, 2)

@bpf_program("tracepoint/sched/sched_process_exec")
def on_exec(ctx) -> int:
    buf = u8[32]()
    seen[0] = u64(helpers.probe_read_kernel_str(buf, ctx.filename))
    seen[1] = u64(ctx.__data_loc_filename >> 16)
    names[0] = buf
    return 0
'''


def test_simulator_reads_a_data_loc_string() -> None:
    """The simulator places the record in its fake kernel memory, so the program's
    probe_read_kernel_str of ``ctx.filename`` copies the string the record holds."""
    path = b"/usr/bin/python3\0"
    record = struct.pack("<HBBi", 1, 0, 0, 7) + struct.pack("<Iii", (len(path) << 16) | 20,
                                                             7, 7) + path
    sim = Simulator(source=SIM, filename="sim_exec.py", env=FakeKernel())
    sim.run("on_exec", ctx=record)
    assert bytes(sim.maps.names[0]).rstrip(b"\0") == path[:-1]
    assert sim.maps.seen[0] == len(path)
    assert sim.maps.seen[1] == len(path)


KCONFIG = '''
from ebpfpy import Array, Kconfig, bpf_program, u8, u32, u64

LINUX_KERNEL_VERSION: Kconfig[u32]
CONFIG_HZ: Kconfig[u32]
CONFIG_X86: Kconfig[bool]
out = Array(u64, 3)

@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(LINUX_KERNEL_VERSION)
    if LINUX_KERNEL_VERSION >= (5 << 16) + (15 << 8):
        out[1] = u64(CONFIG_HZ)
    if CONFIG_X86:
        out[2] = 86
    return 0
'''


def test_kconfig_globals_are_weak_externs_in_a_kconfig_datasec() -> None:
    """libbpf finds Kconfig values by an extern VAR in a ``.kconfig`` DATASEC and an
    undefined ELF symbol (weak: an option the kernel's config lacks reads as zero)."""
    import io

    from elftools.elf.elffile import ELFFile

    import ebpfpy
    from ebpfpy.objfile.btf import Btf
    from ebpfpy.objfile.elf import BpfElf
    elf = ebpfpy.compile(source=KCONFIG, filename="kconfig.py")
    btf = Btf(BpfElf(elf).section_data(".BTF"))
    sec = btf.find("DATASEC", ".kconfig")
    assert sec is not None
    names = {btf.types[tid].name for _n, tid, _off in sec.members}
    assert names == {"LINUX_KERNEL_VERSION", "CONFIG_HZ", "CONFIG_X86"}
    symtab = ELFFile(io.BytesIO(elf)).get_section_by_name(".symtab")
    binds = {s.name: (s["st_info"]["bind"], s["st_shndx"]) for s in symtab.iter_symbols()}
    for name in names:
        assert binds[name] == ("STB_WEAK", "SHN_UNDEF")


def test_simulator_takes_kconfig_values_as_config() -> None:
    """The simulator has no kernel: Kconfig values default to 0 and come from config=."""
    sim = Simulator(source=KCONFIG, filename="kconfig_sim.py",
                    config={"LINUX_KERNEL_VERSION": (6 << 16) + (1 << 8), "CONFIG_HZ": 250,
                            "CONFIG_X86": True})
    sim.run("main")
    assert [sim.maps.out[i] for i in range(3)] == [(6 << 16) + (1 << 8), 250, 86]
    old = Simulator(source=KCONFIG, filename="kconfig_sim.py",
                    config={"LINUX_KERNEL_VERSION": (4 << 16) + (19 << 8)})
    old.run("main")
    assert [old.maps.out[i] for i in range(3)] == [(4 << 16) + (19 << 8), 0, 0]


KERNEL_ONLY = '''
from ebpfpy import Array, bpf_program, helpers, kernel_enum, u32, u64

@kernel_enum
class pid_type:
    PIDTYPE_TGID = 1

target: u32 = 0
out = Array(u64, 1)

@bpf_program("syscall")
def by_enum(ctx) -> int:
    out[0] = u64(helpers.enum_value(pid_type.PIDTYPE_TGID))
    return 0

@bpf_program("syscall")
def by_pid(ctx) -> int:
    t = helpers.task_from_pid(target)
    if t is not None:
        helpers.task_release(t)
    return 0
'''


def test_simulator_says_what_needs_the_kernel() -> None:
    """CO-RE queries, enum values and kfuncs are answered by the kernel and libbpf: the
    simulator refuses them by name (NotImplementedError), not with an AttributeError."""
    import pytest
    sim = Simulator(source=KERNEL_ONLY, filename="kernel_only.py")
    for prog, what in (("by_enum", "helpers.enum_value"), ("by_pid", "helpers.task_from_pid")):
        with pytest.raises(NotImplementedError, match=f"{what} needs the running kernel"):
            sim.run(prog)
