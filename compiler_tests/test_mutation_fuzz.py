"""Mutation fuzzing: broken variants of valid modules either compile or raise CompileError.

Seeds are the programs in ``examples/`` plus a few representative modules embedded here.  Each
mutant deletes, duplicates, swaps or inserts tokens or lines, replaces a literal or a name, or
truncates the file (seeded RNG).  It runs in a worker process, so a hang (per-case timeout) or a
hard crash (an LLVM abort) is caught too.  Any other exception, and any E999 internal compiler
error, is a failure that prints the mutant.

Knobs: ``EBPFPY_FUZZ_SECONDS`` (default 20), ``EBPFPY_FUZZ_SEED`` (default 20240601).
"""
from __future__ import annotations

import io
import multiprocessing
import os
import random
import time
import tokenize
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIME_CAP = float(os.environ.get("EBPFPY_FUZZ_SECONDS", "20"))
SEED = int(os.environ.get("EBPFPY_FUZZ_SEED", "20240601"))
CASE_TIMEOUT = 20.0          # seconds for one mutant (a hang is a failure)
MAX_REPORTED = 5

SEED_STRUCTS = '''
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, RingBuf, u8, u16, u32, u64, i32, i64, helpers

@struct
class Event:
    pid: u32
    kind: u16
    comm: u8[16]

@struct
class Stat:
    count: u64
    hist: u32[8]

stats = HashMap(u32, Stat, max_entries=256)
events = RingBuf(1 << 12, event=Event)
total: u64 = 0
LIMIT = 4 * 2

@bpf_function
def bucket(v: u64) -> u32:
    b = u32(0)
    for i in range(LIMIT - 1):
        if v >> u32(i + 1) == 0:
            break
        b += 1
    return b

@bpf_program("syscall")
def main(ctx) -> int:
    global total
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    s = stats.lookup(pid)
    if s is None:
        stats[pid] = Stat(count=1)
        return 0
    s.count += 1
    b = bucket(s.count)
    if b < 8:
        s.hist[b] += 1
    e = Event(pid=pid, kind=u16(b))
    e.comm = helpers.get_current_comm()
    events.output(e)
    total += 1
    x = i32(-7) // 2 if pid > 3 else i32(1) % 3
    helpers.printk("pid %d b %u x %d\\n", pid, b, x)
    return 0
'''

SEED_LOOPS = '''
from ebpfpy import bpf_program, bpf_function, struct, Array, PerCpuArray, u8, u32, u64, i64, helpers

W = 16
H = 8

@struct
class Grid:
    cells: u8[H][W]
    n: u32

grids = Array(Grid, 2)
scratch = PerCpuArray(u64[32], 1)

@bpf_function
def row(i: u32, g: Grid) -> int:
    if i >= H:
        return 1
    for x in range(W):
        g.cells[i][x] = u8((x + i) & 1)
    g.n += 1
    return 0

@bpf_program("syscall")
def step(ctx) -> int:
    g = grids.lookup(0)
    if not g:
        return 0
    work = Grid()                   # bpf_loop's state lives on the stack
    helpers.loop(H, row, work)
    g.n = work.n
    buf = scratch.lookup(0)
    if buf is not None:
        acc = u64(0)
        n = min(g.n, 32)
        for j in range(n):
            if j < 32:
                acc += buf[j]
        buf[0] = acc
    a = u8[4]()
    k = helpers.get_prandom_u32() % 4
    a[k] = 1
    return len(a) + max(1, 2, 3) - abs(-1)
'''

SEED_NET = '''
import ebpfpy as bpf
from ebpfpy import bpf_program, struct, HashMap, LruHashMap, ProgArray, u8, u16, u32, u64, XDP_PASS, XDP_DROP

@struct
class Eth:
    dst: u8[6]
    src: u8[6]
    proto: u16

seen = LruHashMap(u16, u64, max_entries=64)
progs = ProgArray(4)

@bpf_program("xdp")
def filt(ctx) -> int:
    eth = ctx.load(Eth, 0)
    if eth is None:
        return XDP_PASS
    p = bpf.helpers.ntohs(eth.proto)
    seen[p] += 1
    if p == 0x86DD and ctx.ingress_ifindex != 0:
        progs.tail_call(ctx, 1)
        return XDP_DROP
    return XDP_PASS

@bpf_program("tc")
def tcprog(ctx) -> int:
    if ctx.len > 1500 or not ctx.mark:
        return bpf.TC_ACT_SHOT
    return bpf.TC_ACT_OK

if __name__ == "__main__":
    print(bpf.compile(__file__))
'''

SEED_TIMER = '''
from ebpfpy import bpf_program, bpf_function, struct, Array, HashMap, Timer, u32, u64, helpers

@struct
class State:
    timer: Timer
    ticks: u64

timers = Array(State, 1)
counts = HashMap(u32, u64, max_entries=8)

@bpf_function
def tick(m, key: u32, value: State) -> int:
    value.ticks += 1
    if value.ticks < 100:
        value.timer.start(1000)
    return 0

@bpf_program("syscall")
def arm(ctx) -> int:
    t = timers.lookup(0)
    if t is None:
        return 1
    t.timer.init(timers)
    t.timer.set_callback(tick)
    t.timer.start(0)
    if 3 in counts:
        del counts[3]
    counts[1] = counts.get(2, 7)
    return 0
'''

EMBEDDED = {"structs": SEED_STRUCTS, "loops": SEED_LOOPS, "net": SEED_NET, "timer": SEED_TIMER}
INSERTS = ["(", ")", "[", "]", ":", ",", ".", "=", "+", "-", "*", "//", "%", "<<", ">>", "**", "/",
           "@", "not", "and", "or", "is", "None", "in", "if", "else", "for", "while", "return",
           "break", "continue", "lambda", "yield", "del", "global", "pass", "0", "1", "-1", "255",
           "256", "1 << 64", "2 ** 300", "1.5", "'s'", "ctx", "u8", "u32", "i64", "bool", "len",
           "range", "min", "helpers", "Timer", "u8[4]()", "x", "None", "True", "\n", "\n    ",
           "\t", "#", "\\", "\"", "'''", "async", "await", ":=", "..."]
OPERATORS = ["+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^", "<", "<=", ">", ">=", "==", "!=",
             "and", "or", "is", "is not", "in", "not in", "/", "**", "@", "+=", "-=", "*=", "=", "|="]
TYPES = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "int", "bool", "Timer", "u8[3]",
         "u64[100]", "Stat", "Event", "Grid", "State", "Eth", "float"]
NUMBERS = ["0", "-1", "1", "7", "255", "256", "65536", "-2147483649", "4294967296",
           "18446744073709551616", "(1 << 300)", "0x7fffffffffffffff", "1_000_000_000_000"]


def seeds() -> dict[str, str]:
    out = dict(EMBEDDED)
    for p in sorted((ROOT / "examples").rglob("*.py")):
        out[str(p.relative_to(ROOT))] = p.read_text()
    return out


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start offset, end offset, string) of each token; [] when the text does not tokenize."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT) or not tok.string:
                continue
            (l1, c1), (l2, c2) = tok.start, tok.end
            if l1 - 1 >= len(starts) or l2 - 1 >= len(starts):
                continue
            out.append((starts[l1 - 1] + c1, starts[l2 - 1] + c2, tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def mutate(text: str, rng: random.Random) -> tuple[str, str]:
    """One random mutation of ``text``; returns (mutant, description)."""
    toks = _tokens(text)
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["del_tok", "dup_tok", "swap_tok", "ins_tok", "num", "name", "del_line",
                       "dup_line", "swap_line", "indent", "truncate", "del_tok", "ins_tok",
                       "op", "type", "op", "type"])
    if kind in ("op", "type"):       # well-formed but ill-typed programs reach the checker's depths
        pool = OPERATORS if kind == "op" else TYPES
        hits = [t for t in toks if t[2] in pool]
        if hits:
            a, b, s = rng.choice(hits)
            new = rng.choice(pool)
            return text[:a] + new + text[b:], f"replace {s!r} at {a} by {new!r}"
        kind = "name"
    if kind.endswith("_tok") or kind in ("num", "name"):
        if not toks:
            kind = "truncate"
    if kind == "del_tok":
        a, b, s = rng.choice(toks)
        return text[:a] + text[b:], f"delete token {s!r} at {a}"
    if kind == "dup_tok":
        a, b, s = rng.choice(toks)
        return text[:b] + " " + s + text[b:], f"duplicate token {s!r} at {a}"
    if kind == "swap_tok":
        i = rng.randrange(len(toks))
        j = min(len(toks) - 1, i + 1)
        (a1, b1, s1), (a2, b2, s2) = toks[i], toks[j]
        if i == j or b1 > a2:
            return text[:a1] + text[b1:], f"delete token {s1!r} at {a1}"
        return text[:a1] + s2 + text[b1:a2] + s1 + text[b2:], f"swap {s1!r} and {s2!r} at {a1}"
    if kind == "ins_tok":
        a, _b, _s = rng.choice(toks)
        ins = rng.choice(INSERTS)
        return text[:a] + ins + " " + text[a:], f"insert {ins!r} at {a}"
    if kind == "num":
        nums = [t for t in toks if t[2][:1].isdigit()] or toks
        a, b, s = rng.choice(nums)
        new = rng.choice(NUMBERS)
        return text[:a] + new + text[b:], f"replace {s!r} at {a} by {new}"
    if kind == "name":
        names = [t for t in toks if t[2].isidentifier()] or toks
        (a, b, s), (_a, _b, other) = rng.choice(names), rng.choice(names)
        return text[:a] + other + text[b:], f"replace name {s!r} at {a} by {other!r}"
    if kind == "truncate" or not lines:
        n = rng.randrange(len(text) + 1)
        return text[:n], f"truncate at {n}"
    i = rng.randrange(len(lines))
    if kind == "del_line":
        return "".join(lines[:i] + lines[i + 1:]), f"delete line {i + 1}"
    if kind == "dup_line":
        return "".join(lines[:i + 1] + lines[i:]), f"duplicate line {i + 1}"
    if kind == "swap_line":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines), f"swap lines {i + 1} and {j + 1}"
    lines[i] = (rng.choice(["    ", ""]) + lines[i].lstrip(" ")) if lines[i].strip() else lines[i]
    return "".join(lines), f"re-indent line {i + 1}"


# ----------------------------------------------------------------------------- the worker
def _worker(conn: Any) -> None:
    import ebpfpy
    from ebpfpy.errors import CompileError
    while True:
        text = conn.recv()
        if text is None:
            return
        try:
            ebpfpy.compile(source=text, filename="mutant.py")
            conn.send(("ok", ""))
        except CompileError as e:
            codes = {d.code for d in e.errors}
            conn.send(("E999" if "E999" in codes else "error", str(e)))
        except BaseException as e:      # noqa: BLE001 - exactly what the fuzzer looks for
            import traceback
            conn.send(("crash", "".join(traceback.format_exception(e))))


class Runner:
    """A worker process that compiles one mutant at a time; restarted after a hang or crash."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self.proc: Any = None
        self.start()

    def start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, text: str, timeout: float = CASE_TIMEOUT) -> tuple[str, str]:
        self.conn.send(text)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        status = "hang" if self.proc.is_alive() else f"died (exit {self.proc.exitcode})"
        self.proc.kill()
        self.proc.join()
        self.start()
        return status, ""

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


@pytest.fixture(scope="module")
def runner() -> Any:
    r = Runner()
    yield r
    r.close()


def test_seeds_compile(runner: Runner) -> None:
    """The embedded seeds are valid, so mutants start from programs that compile."""
    for name, text in EMBEDDED.items():
        status, detail = runner.run(text)
        assert status == "ok", f"seed {name}: {status}\n{detail}"


def test_mutants_never_crash(runner: Runner) -> None:
    rng = random.Random(SEED)
    pool = seeds()
    names = sorted(pool)
    failures: list[str] = []
    counts: dict[str, int] = {}
    deadline = time.monotonic() + TIME_CAP
    while time.monotonic() < deadline:
        name = rng.choice(names)
        text, steps = pool[name], []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            text, what = mutate(text, rng)
            steps.append(what)
        status, detail = runner.run(text)
        counts[status] = counts.get(status, 0) + 1
        if status not in ("ok", "error"):
            failures.append(f"--- {status}: {name}: {'; '.join(steps)}\n{detail[-3000:]}\n"
                            f"--- mutant:\n{text}")
            if len(failures) >= MAX_REPORTED:
                break
    print(f"mutation fuzz: {sum(counts.values())} mutants, {counts}")
    assert not failures, "\n\n".join(failures)
