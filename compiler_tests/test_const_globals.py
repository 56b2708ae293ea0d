"""``Const[T]`` globals without a kernel: their lowering (a constant in ``.rodata`` read with
volatile loads, so LLVM cannot fold the value userspace replaces) and the simulator's model
(values given with ``config=``, read-only afterwards, checked as the loader checks them).
The kernel side is kernel_tests/test_loader_config.py."""
from __future__ import annotations

import re
import textwrap

import pytest

import ebpfpy
from ebpfpy.objfile.disasm import disasm
from ebpfpy.testing import Simulator

SRC = textwrap.dedent('''
    from ebpfpy import bpf_program, Const, u32, i32, u64

    targ_pid: Const[u32] = 7
    verbose: Const[bool] = True
    flag: bool = True
    total: u64 = 0

    @bpf_program("syscall")
    def main(ctx) -> int:
        global total
        total += 1
        if verbose and flag:
            return i32(targ_pid)
        return 0
''')


def test_const_is_a_rodata_constant_read_with_volatile_loads():
    ir = str(ebpfpy.compile(source=SRC, filename="cfg.py", stop_after="ir"))
    assert re.search(r'@"targ_pid" = constant i32 7, section "\.rodata"', ir)
    assert re.search(r'@"verbose" = constant i8 1, section "\.rodata"', ir)
    assert re.search(r'@"flag" = global i8 1, section "\.data"', ir)      # bool with a value
    assert re.search(r'load volatile i32, i32\* @"targ_pid"', ir)
    assert not re.search(r'load i32, i32\* @"targ_pid"', ir)


def test_optimised_object_still_reads_the_global():
    """The initial value 7 must not be folded into the code: userspace replaces it."""
    text = disasm(ebpfpy.compile(source=SRC, filename="cfg.py"))
    assert re.search(r"r(\d) = targ_pid ll\n.*\n?\s+\d+: r\d = \*\(u32 \*\)\(r\1 \+ 0\)", text), text
    assert "r0 = 7" not in text


def test_simulator_takes_config_and_keeps_it_read_only():
    sim = Simulator(source=SRC, filename="cfg.py", config={"targ_pid": 40})
    assert sim.run("main").retval == 40
    assert sim.globals.targ_pid == 40 and sim.globals.total == 1
    with pytest.raises(AttributeError, match="frozen at load"):
        sim.globals.targ_pid = 1
    sim.globals.flag = False
    assert sim.run("main").retval == 0
    assert Simulator(source=SRC, filename="cfg.py").run("main").retval == 7


@pytest.mark.parametrize("config, exc, text", [
    ({"targ_pid": -1}, OverflowError, r"Const global 'targ_pid': -1 is out of range for u32"),
    ({"verbose": 2}, OverflowError, r"out of range for bool"),
    ({"total": 1}, AttributeError, r"'total' is not Const \(Const globals: targ_pid, verbose\)"),
    ({"nope": 1}, AttributeError, r"'nope' does not exist"),
])
def test_simulator_checks_config(config, exc, text):
    with pytest.raises(exc, match=text):
        Simulator(source=SRC, filename="cfg.py", config=config)


PORTS = textwrap.dedent('''
    from ebpfpy import bpf_program, Const, u16, u32

    ports: Const[u16[4]]
    nports: Const[u32] = 0

    @bpf_program("syscall")
    def main(ctx) -> int:
        hit = 0
        for i in range(4):
            if i < nports and ports[i] == 443:
                hit += 1
        return hit
''')


def test_const_array_is_read_from_memory():
    """An all-zero constant array must still be read: LLVM would fold ports[i] == 443 to
    false and drop the loop."""
    ir = str(ebpfpy.compile(source=PORTS, filename="ports.py", stop_after="ir"))
    assert re.search(r'@"ports" = constant \[4 x i16\] zeroinitializer, section "\.rodata"', ir)
    text = disasm(ebpfpy.compile(source=PORTS, filename="ports.py"))
    assert "ports ll" in text and "*(u16 *)" in text


def test_simulator_const_array():
    sim = Simulator(source=PORTS, filename="ports.py",
                    config={"ports": [443, 80, 443, 0], "nports": 3})
    assert sim.run("main").retval == 2 and sim.globals.ports == [443, 80, 443, 0]
    with pytest.raises(ValueError):
        Simulator(source=PORTS, filename="ports.py", config={"ports": [1, 2]})
