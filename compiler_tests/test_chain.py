"""A program too large for one verifier pass, in a kind that can tail-call, becomes a chain of
programs (frontend/chain.py): where it is cut, what travels between the parts, the errors
(E252 too many parts, E253 a reference live across the cut) and the simulator running it."""
from __future__ import annotations

import pytest

from ebpfpy.api import compile_module
from ebpfpy.errors import CompileError
from ebpfpy.frontend import chain as chain_mod
from ebpfpy.pipeline import run_pipeline
from ebpfpy.testing import Simulator

M = (1 << 64) - 1


def _mix(n: int) -> list[str]:
    """``n`` statements of arithmetic over a, b and c (u64), some of them branches."""
    out = []
    for i in range(n):
        if i % 5 == 4:
            out.append(f"if a & {1 << (i % 7)}:\n        b += {i}")
        elif i % 3 == 0:
            out.append(f"a = a * {2 * i + 1} + b")
        elif i % 3 == 1:
            out.append(f"b ^= a >> {1 + i % 13}")
        else:
            out.append(f"c += a ^ {i}")
    return out


def _program(n: int, section: str = "xdp", before: str = "", after: str = "") -> str:
    ctx = "ctx: XdpContext" if section == "xdp" else "ctx"
    body = "\n".join("    " + s for s in _mix(n))
    return f'''from ebpfpy import bpf_program, Array, XdpContext, u64

inp = Array(u64, 3)
out = Array(u64, 3)


@bpf_program("{section}")
def mix({ctx}) -> int:
    a: u64 = inp[0]
    b: u64 = inp[1]
    c: u64 = inp[2]
{before}{body}
{after}    out[0] = a
    out[1] = b
    out[2] = c
    return 2
'''


def _python(n: int, a: int, b: int, c: int) -> list[int]:
    """What CPython computes for ``_mix(n)`` with u64 wrap-around."""
    env = {"a": a, "b": b, "c": c}
    for s in _mix(n):
        exec(s.replace("\n        ", "\n    "), env)
        for v in "abc":
            env[v] &= M
    return [env["a"], env["b"], env["c"]]


def test_a_program_over_the_budget_becomes_a_chain_of_parts_under_it() -> None:
    checked = run_pipeline(_program(300), "mix.py", stop_after="check", insn_budget=1000)
    assert list(checked.chains) == ["mix__parts"]
    parts = checked.chains["mix__parts"]
    assert len(parts) >= 2 and parts == [f"mix__part{k}" for k in range(1, len(parts) + 1)]
    rows = {r.name: r for r in checked.report.rows}
    assert set(parts) | {"mix"} <= set(rows)
    assert all(rows[p].section == "xdp" and rows[p].est_cost <= 500 for p in parts + ["mix"])
    assert "tail calls through mix__parts at line" in rows["mix"].split
    assert rows[parts[0]].split.startswith("part 1 of mix: lines ")
    assert "(carried in mix__state: a, b, c)" in rows[parts[0]].split
    # the entry and every part are programs of the rewritten module, with the two maps
    assert {"mix__parts", "mix__state"} <= set(checked.info.maps)
    assert checked.info.maps["mix__state"].type.kind.dsl_name == "PerCpuArray"
    assert set(parts) <= set(checked.info.programs)


def test_the_same_program_under_the_budget_is_not_split() -> None:
    checked = run_pipeline(_program(300), "mix.py", stop_after="check")
    assert checked.chains == {} and list(checked.info.programs) == ["mix"]


def test_a_kind_that_cannot_tail_call_keeps_E250() -> None:
    src = _program(300, section="syscall").replace("ctx) -> int", "ctx) -> int")
    with pytest.raises(CompileError) as e:
        run_pipeline(src, "mix.py", stop_after="check", insn_budget=1000)
    assert [d.code for d in e.value.errors] == ["E250"]


def test_too_many_parts_is_E252_at_the_def() -> None:
    with pytest.raises(CompileError) as e:
        run_pipeline(_program(300), "mix.py", stop_after="check", insn_budget=200)
    d = e.value.errors[0]
    assert (d.code, d.lineno, d.col_offset) == ("E252", 8, 0)
    assert "at most 34 (33 tail calls, MAX_TAIL_CALL_CNT)" in d.message
    assert "move repeated statements into a loop" in str(e.value)


def test_a_reference_live_across_every_cut_is_E253_at_its_use() -> None:
    before = "    r = out.lookup(0)\n    if r is None:\n        return 0\n"
    src = _program(300, before=before, after="    r.value = a\n")
    with pytest.raises(CompileError) as e:
        run_pipeline(src, "mix.py", stop_after="check", insn_budget=1000)
    d = e.value.errors[0]
    line = src.splitlines().index("    r.value = a") + 1
    assert (d.code, d.lineno, d.col_offset) == ("E253", line, 4)
    assert "'r' holds a reference into a map value" in d.message
    assert "look it up or load it again after the split" in str(e.value)


def test_a_reference_used_only_within_a_part_does_not_stop_the_cut() -> None:
    before = "    r = out.lookup(0)\n    if r is None:\n        return 0\n    r.value = a\n"
    checked = run_pipeline(_program(300, before=before), "mix.py", stop_after="check",
                           insn_budget=1000)
    assert len(checked.chains["mix__parts"]) >= 2


def test_the_simulator_runs_the_chain_as_the_kernel_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain_mod, "MAX_STATEMENTS", 100)    # split by size at the default budget
    monkeypatch.setattr(chain_mod, "PART_STATEMENTS", 60)
    src = _program(250) + "# simulated\n"
    sim = Simulator(source=src, filename="mix_sim.py")
    assert len(sim.checked.chains["mix__parts"]) >= 3
    for i, v in enumerate((3, 5, 7)):
        sim.maps.inp[i] = v
    assert sim.run("mix", data=bytes(64)).retval == 2
    assert [sim.maps.out[i] for i in range(3)] == _python(250, 3, 5, 7)


def test_the_chain_compiles_to_one_object_with_every_part() -> None:
    elf = compile_module(source=_program(300), filename="mix.py", insn_budget=1000)
    assert elf[:4] == b"\x7fELF" and b"mix__part1" in elf and b"mix__parts" in elf


def test_a_second_name_for_a_stack_struct_is_not_carried_E253() -> None:
    before = ("    w = Pair()\n    v = w\n    v.x = a\n")
    src = _program(300, before=before, after="    b += w.x + v.x\n").replace(
        "inp = Array", "@struct\nclass Pair:\n    x: u64\n\n\ninp = Array").replace(
        "import bpf_program,", "import bpf_program, struct,")
    with pytest.raises(CompileError) as e:
        run_pipeline(src, "mix.py", stop_after="check", insn_budget=1000)
    d = e.value.errors[0]
    assert d.code == "E253" and "a second name for a struct or array" in d.message


def test_a_stack_struct_travels_through_the_state_and_globals_are_declared_in_every_part(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain_mod, "MAX_STATEMENTS", 100)
    monkeypatch.setattr(chain_mod, "PART_STATEMENTS", 60)
    before = "    global total\n    w = Pair()\n    w.x = a\n"
    src = _program(250, before=before, after="    total += w.x + a\n    w.x += c\n    b ^= w.x\n")
    src = src.replace("inp = Array", "total: u64 = 0\n\n\n@struct\nclass Pair:\n    x: u64\n\n\ninp = Array")
    src = src.replace("import bpf_program,", "import bpf_program, struct,")
    sim = Simulator(source=src + "# globals\n", filename="mix_glob.py")
    parts = sim.checked.chains["mix__parts"]
    assert len(parts) >= 3
    assert "w, " in sim.checked.report.get(parts[0]).split or ", w" in sim.checked.report.get(parts[0]).split
    for i, v in enumerate((3, 5, 7)):
        sim.maps.inp[i] = v
    sim.run("mix", data=bytes(64))
    a, b, c = _python(250, 3, 5, 7)
    assert sim.globals.total == (3 + a) & M
    assert [sim.maps.out[i] for i in range(3)] == [a, b ^ ((3 + c) & M), c]
