"""The splitting decision on shapes whose verifier cost the kernel measured (kernel_tests/
test_cost.py checks the estimates against the kernel; these check what is outlined)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ebpfpy.api import compile_full
from ebpfpy.model.report import ReportRow
from ebpfpy.frontend.split import DEFAULT_BUDGET, ESTIMATE_ERROR, MARGIN

ROOT = Path(__file__).resolve().parent.parent
HEAD = "from ebpfpy import bpf_program, struct, Array, u8, u32, u64\n"


def _rows(path: Path | None = None, source: str | None = None) -> dict[str, ReportRow]:
    mod = compile_full(path, source=source, filename="split.py" if source else None)
    return {r.name: r for r in mod.report.rows}


def test_gol_outlines_the_chunk_loop_not_the_cells() -> None:
    """The inner loop's runtime bound gives it an exit per cell; walked inline, each exit walks
    the next chunk again (the kernel refused it).  The chunk loop becomes the callback; the
    loop over cells stays a loop (a call per cell would cost run time)."""
    path = ROOT / "examples" / "gol.py"
    rows = _rows(path)
    lines = path.read_text().splitlines()
    chunk = next(n for n, t in enumerate(lines, 1) if t.strip().startswith("for k in range(MAXW // CHUNK)"))
    cells = next(n for n, t in enumerate(lines, 1) if t.strip().startswith("for i in range(min(w - base"))
    assert f"step_row__loop_l{chunk}c4" in rows, rows.keys()
    assert not any(n.startswith(f"step_row__loop_l{cells}") for n in rows), rows.keys()
    assert rows["start"].est_cost <= DEFAULT_BUDGET // (ESTIMATE_ERROR * MARGIN)


def test_sign_mask_loop_is_estimated_by_its_forks() -> None:
    """crc32's ``x & (0 - (crc & 1))`` forks the verifier's state at each of 8 unrolled steps:
    the kernel processes 295,324 instructions; the estimate counts the forks."""
    est = _rows(ROOT / "benchmarks" / "py" / "crc32.py")["crc32"].est_cost
    assert 295_324 / 2 <= est <= 295_324 * 2


NESTED = HEAD.replace("u64\n", "u64, i32\n") + """
board = Array(u8[256], 4)
n: u32 = 0
@bpf_program("syscall")
def run(ctx) -> int:
    row = board.lookup(0)
    if row is None:
        return 1
    t: u32 = 0
    w = min(n, 256)
    for k in range(4):
        b = u32(k) * 64
BREAK
        for i in range(BOUND):
            t += row[(b + i) & 255]
    return i32(t)
"""


@pytest.mark.parametrize("brk, bound, kernel", [
    ("", "min(w, 64)", 71_220),
    ("", "min(w - b, 64)", 269_215),
    ("        if b >= w:\n            break\n", "min(w - b, 64)", 5_724),
    ("", "min(n, 64)", 2_975),
])
def test_runtime_bounded_inner_loop_never_underestimated(brk: str, bound: str, kernel: int) -> None:
    """A runtime-bounded loop inside a walked loop: ``kernel`` is Linux 6.18's ``processed``
    count for each shape, unsplit (measured).  A bound from a local fans out (each exit walks
    the next outer iteration again); one read from a global does not.  The estimate may be
    high (safe: the loop is outlined sooner) but never under half the kernel's count."""
    src = NESTED.replace("BREAK\n", brk).replace("BOUND", bound)
    mod = compile_full(source=src, filename="split.py", split=False)
    est = {r.name: r.est_cost for r in mod.report.rows}["run"]
    assert est >= kernel / 2, (bound, est, kernel)
    if "n," in bound:
        assert est <= kernel * 2, (bound, est, kernel)


def test_short_loop_without_branches_stays_walked() -> None:
    src = HEAD + """
arr = Array(u64, 1)
@bpf_program("syscall")
def run(ctx) -> int:
    t: u64 = 0
    for k in range(8):
        t += u64(k) * 3
    arr[0] = t
    return 0
"""
    rows = _rows(source=src)
    assert rows["run"].split == "-", rows["run"]


def test_http_stats_outlines_no_loop_that_buys_little() -> None:
    """http_stats' cost is in its parser callbacks (a cursor each: walked once per byte), which
    no split reduces.  Outlining five more small loops would cut the estimate by 3% and cost
    the kernel more (measured: 264,779 processed instead of 239,948): only the two copy loops
    that matter are outlined."""
    rows = _rows(ROOT / "examples" / "http_stats.py")
    outlined = sorted(n for n in rows if "__loop_" in n)
    assert outlined == ["http_stats__loop_l414c8", "http_stats__loop_l426c8"], outlined


CONFIGURED = HEAD.replace("import ", "import Const, ") + """
from ebpfpy import helpers
counts = Array(u64, 64)
verbose: Const[bool] = {verbose}
pid_filter: Const[u32] = 0

@bpf_program("tracepoint/syscalls/sys_enter_getpid")
def prog(ctx) -> int:
    if pid_filter != 0 and u32(helpers.get_current_pid_tgid()) != pid_filter:
        return 0
    if verbose:
        for i in range(64):
            counts[i] += helpers.ktime_get_ns() & 1
    return 0
"""


def test_const_config_selects_one_side_of_an_if() -> None:
    """A Const global is frozen at load: the verifier walks only the side its value selects,
    and so does the estimate (taking its initial value)."""
    off = _rows(source=CONFIGURED.format(verbose=False))["prog"].est_cost
    on = _rows(source=CONFIGURED.format(verbose=True))["prog"].est_cost
    assert off < 20, off
    assert on > 64 * 10, on


CONST_ARRAY = HEAD.replace("import ", "import Const, u8, ") + """
from ebpfpy import helpers
counts = Array(u64, 64)
targ_comm: Const[u8[16]]

@bpf_program("tracepoint/syscalls/sys_enter_getpid")
def prog(ctx) -> int:
    if targ_comm[{index}] != 0:
        for i in range(64):
            counts[i] += helpers.ktime_get_ns() & 1
    return 0
"""


def test_const_array_element_selects_one_side_of_an_if() -> None:
    """An element of a Const array at a constant index is frozen too (zero until
    configured, as the estimate assumes): bitesize's ``targ_comm[0] != 0`` guard."""
    assert _rows(source=CONST_ARRAY.format(index=0))["prog"].est_cost < 20
    # an index the estimate cannot know keeps both sides
    loop = CONST_ARRAY.format(index="u32(helpers.get_current_pid_tgid()) & 15")
    assert _rows(source=loop)["prog"].est_cost > 64 * 10


CONST_BOUND = HEAD.replace("import ", "import Const, ") + """
from ebpfpy import helpers
counts = Array(u64, 64)
n_conf: Const[u32] = {n}

@bpf_program("tracepoint/syscalls/sys_enter_getpid")
def prog(ctx) -> int:
    for i in range(1, min(64, n_conf)):
        counts[i] += helpers.ktime_get_ns() & 1
    return 0
"""


def test_loop_bound_by_a_const_walks_its_frozen_trips() -> None:
    """``range(1, min(64, n_conf))`` with a Const ``n_conf``: the verifier knows the bound
    at load, so the estimate counts the frozen trips, on one path (execsnoop's max_args)."""
    few = _rows(source=CONST_BOUND.format(n=4))["prog"].est_cost
    many = _rows(source=CONST_BOUND.format(n=64))["prog"].est_cost
    assert few * 8 < many, (few, many)
