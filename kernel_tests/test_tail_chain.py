"""Programs larger than one verifier pass, split into a chain of tail calls (frontend/chain.py),
load and compute what CPython computes for them.

The proof is a generated 50,000-statement XDP program (about 145,000 instructions of
straight-line code: as one function LLVM would take minutes and need jumps past BPF's range):
it becomes an entry and 19 parts of at most 3,000 statements, loads, and one packet runs the
whole chain.  About 50 s of CPU (1.5 to 3.5 minutes on the 2 shared cores measured); it runs
in the normal suite.
"""
from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path
from typing import Any

import ebpfpy
from ebpfpy.frontend.chain import MAX_TAIL_CALLS
from ebpfpy.testing import Simulator

M = (1 << 64) - 1
VARS = "abcd"


def _statements(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` statements over a, b, c, d (u64) as the DSL writes them, each with its CPython
    twin (masked to 64 bits where Python's integers would grow)."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        # each statement is a bijection of the four values (x and y differ): nothing
        # collapses to a constant that LLVM could fold away
        x, y = r.sample(VARS, 2)
        k, s = r.randrange(1, 1 << 16), r.randrange(1, 63)
        t = r.randrange(6)
        if t == 0:
            out.append((f"{x} += {y} * {k | 1}", f"{x} = ({x} + {y} * {k | 1}) & M"))
        elif t == 1:
            out.append((f"{x} ^= {y} >> {s}", f"{x} ^= {y} >> {s}"))
        elif t == 2:
            out.append((f"{x} = ({x} << {s}) | ({x} >> {64 - s})",
                        f"{x} = (({x} << {s}) | ({x} >> {64 - s})) & M"))
        elif t == 3:
            out.append((f"{x} += {y} ^ {k}", f"{x} = ({x} + ({y} ^ {k})) & M"))
        elif t == 4:
            out.append((f"{x} -= {y}", f"{x} = ({x} - {y}) & M"))
        else:
            bit = 1 << (s % 16)
            out.append((f"if {y} & {bit}:\n        {x} += {k}",
                        f"if {y} & {bit}:\n    {x} = ({x} + {k}) & M"))
    return out


def _source(stmts: list[tuple[str, str]]) -> str:
    body = "\n".join("    " + s for s, _ in stmts)
    return f'''from ebpfpy import bpf_program, Array, XdpContext, u64, XDP_PASS

inp = Array(u64, 4)
out = Array(u64, 4)


@bpf_program("xdp")
def big(ctx: XdpContext) -> int:
    a: u64 = inp[0]
    b: u64 = inp[1]
    c: u64 = inp[2]
    d: u64 = inp[3]
{body}
    out[0] = a
    out[1] = b
    out[2] = c
    out[3] = d
    return XDP_PASS
'''


def _python(stmts: list[tuple[str, str]], values: list[int]) -> list[int]:
    env: dict[str, int] = {"M": M, **dict(zip(VARS, values))}
    exec("\n".join(p for _, p in stmts), env)    # noqa: S102 - our own generated arithmetic
    return [env[v] for v in VARS]


def _run(obj: Any, values: list[int]) -> tuple[int, list[int]]:
    for i, v in enumerate(values):
        obj.maps.inp[i] = v
    r = obj.programs.big.test_run(data=bytes(64))
    return r.retval, [obj.maps.out[i] for i in range(4)]


def test_a_50000_statement_xdp_program_loads_and_computes_what_cpython_computes(tmp_path: Path) -> None:
    stmts = _statements(50_000, seed=13)
    path = tmp_path / "big50k.py"
    path.write_text(_source(stmts))
    t0 = time.monotonic()
    with ebpfpy.load(str(path), log_level=4) as obj:
        took = time.monotonic() - t0
        parts = [n for n in obj.programs if n != "big"]
        assert parts == [f"big__part{k}" for k in range(1, len(parts) + 1)]
        assert 5 <= len(parts) <= MAX_TAIL_CALLS
        assert obj.chain_parts == {p: "big__parts" for p in parts}
        for name in ["big", *parts]:          # every part fits one verifier pass easily
            processed = int(re.search(r"processed (\d+) insns", obj.programs[name].log).group(1))
            assert 1000 < processed < 100_000, (name, processed)
        for values in ([3, 5, 7, 11], [M, 0, 1 << 63, 12345678901234567]):
            ret, got = _run(obj, values)
            assert ret == 2                   # XDP_PASS from the last part
            assert got == _python(stmts, values)
    assert took < 600, f"compiling and loading took {took:.0f} s"


def test_a_chain_cut_by_a_small_budget_agrees_with_cpython(tmp_path: Path) -> None:
    stmts = _statements(600, seed=5)
    path = tmp_path / "chain600.py"
    path.write_text(_source(stmts))
    with ebpfpy.load(str(path), insn_budget=2000) as obj:
        assert len(obj.chain_parts) >= 3
        values = [1, 2, 3, 4]
        ret, got = _run(obj, values)
        assert ret == 2 and got == _python(stmts, values)
        # a hole in the chain: the tail call falls through and the entry returns 0
        del obj.maps.big__parts[0]
        assert obj.programs.big.test_run(data=bytes(64)).retval == 0
    sim = Simulator(str(path))                # at the default budget: one program, same result
    assert sim.checked.chains == {}
    for i, v in enumerate(values):
        sim.maps.inp[i] = v
    assert sim.run("big", data=bytes(64)).retval == 2
    assert [sim.maps.out[i] for i in range(4)] == got


def test_a_bpf_o_finds_its_chain_by_name(tmp_path: Path) -> None:
    """Loaded from ELF bytes alone (no compiler facts), the ProgArray NAME__parts is filled with
    NAME__part1, NAME__part2, ... by their names."""
    stmts = _statements(600, seed=7)
    src = tmp_path / "chain_o.py"
    src.write_text(_source(stmts))
    with ebpfpy.load(ebpfpy.compile(str(src), insn_budget=2000)) as obj:
        assert len(obj.chain_parts) >= 3
        values = [9, 8, 7, 6]
        assert _run(obj, values) == (2, _python(stmts, values))


TRACEPOINT = '''
from ebpfpy import bpf_program, Array, helpers, u64

seen = Array(u64, 2)


@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx) -> int:
    pid = u64(helpers.get_current_pid_tgid() >> 32)
    h: u64 = pid
{body}
    seen[0] = pid
    seen[1] = h
    return 0
'''


def test_a_tracepoint_chain_runs_on_its_event(tmp_path: Path) -> None:
    """Tracepoint programs tail-call too: the entry is attached, the parts run from it."""
    lines = [f"h = (h ^ {k}) * {2 * k + 1}" for k in range(1, 201)]
    path = tmp_path / "chain_tp.py"
    path.write_text(TRACEPOINT.format(body="\n".join("    " + ln for ln in lines)))
    with ebpfpy.load(str(path), insn_budget=1000) as obj:
        assert len(obj.chain_parts) >= 2
        with obj.programs.on_getppid.attach():
            os.getppid()
        pid, h = obj.maps.seen[0], obj.maps.seen[1]
    assert pid == os.getpid()
    want = pid
    for k in range(1, 201):
        want = ((want ^ k) * (2 * k + 1)) & M
    assert h == want
