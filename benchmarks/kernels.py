"""ebpfpy against clang, measured in the same run: compile time, code size, verifier work, speed.

    python benchmarks/kernels.py [--runs N] [--repeat N] [--loads N] [--json FILE] [--only NAME,...] [--quick]

For each example in examples/ and each kernel in benchmarks/py/ (with its C twin in
benchmarks/c/, built with ``clang-19 -O2 -g -target bpf``) it reports:

- compile time: the CLI as a process (``ebpfpy compile``, cache off, with .pyc files as an
  installed package has them, vs the clang process) in both of its modes: served by the
  running compile server (the client process's CPU time plus the server's for the request,
  read from /proc) and cold (``EBPFPY_NO_SERVER=1``: Python, llvmlite and the compiler start
  in the process); and the in-process API
  (``ebpfpy.compile``, cache off, warm process; median of N), each as wall-clock and as CPU
  time (user + system, of this process and of every child it waited for: a code-generation
  child's work counts);
- xlated instructions and jited bytes (``bpf_prog_info``), verifier processed instructions
  (``verified_insns``, the log's "processed N insns");
- run time per call: XDP programs through ``BPF_PROG_TEST_RUN`` with ``repeat`` (the kernel's
  own average, an integer: the mean of the middle half of N batches, 3N for a program under
  200 ns, resolves the fraction, see ``truncated_average``), syscall programs one call per
  ``test_run`` timed from userspace, median of N,
  both sides interleaved, each object loaded ``--loads`` times (median of the loads);
  tracepoint programs are not run (n/a).

Then the issue's targets as PASS/FAIL lines.  Without clang-19 the C column is skipped with a
note; without ``bpf()`` (not root) only compile times are measured.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))
sys.path.append(str(BENCH))         # last: benchmarks/http.py must not hide the stdlib's http

from ebpfpy.atomic_write import write_atomic  # noqa: E402
from proginfo import prog_info, processed_from_log  # noqa: E402

CLANG = shutil.which("clang-19")
CLANG_FLAGS = ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu"]
HELLO = ROOT / "examples" / "count_opens.py"

# targets from the issue
T_COMPILE = 0.5      # in-process compile CPU time / clang process's
T_CLI = 1.5          # ebpfpy compile process CPU time (start-up, imports) / clang process's
T_RUN = 1.05         # run time / clang's
T_PROCESSED = 1.1    # verifier processed instructions / clang's
T_HELP_MS = 100.0
T_HELLO_MS = 150.0


# ---------------------------------------------------------------------------------- inputs
def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _vlan_udp_frame() -> bytes:
    """Ethernet, two 802.1Q tags, IPv4 with one option word (ihl 6), UDP to port 53."""
    eth = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + struct.pack("!H", 0x8100)
    tags = struct.pack("!HH", 10, 0x8100) + struct.pack("!HH", 20, 0x0800)
    ip = struct.pack("!BBHHHBBHII", 0x46, 0, 36, 1, 0, 64, 17, 0, 0x0A000001, 0x0A000002)
    ip += bytes(4)                               # the option word
    udp = struct.pack("!HHHH", 12345, 53, 8, 0)
    return (eth + tags + ip + udp).ljust(64, b"\0")


def _seed_gol(obj: Any) -> None:
    """A random 64×64 board in slot 0, generation 0 (struct named Board or board)."""
    rng = random.Random(1)
    cells = [[int(rng.random() < 0.3) for _ in range(64)] for _ in range(64)]
    cls = obj.structs["Board"] if "Board" in obj.structs else obj.structs["board"]
    obj.maps.boards[0] = cls(cells=cells)
    obj.globals.generation = 0


@dataclass
class Kernel:
    name: str
    py: Path
    c: Path
    prog: str
    kind: str                         # "xdp" | "syscall" | "tracepoint"
    data: bytes | None = None
    setup: Callable[[Any], None] | None = None
    note: str = ""
    split: bool = True                # False: every loop stays a loop (ebpfpy.compile(split=False))


def kernels() -> list[Kernel]:
    ex, py, c = ROOT / "examples", BENCH / "py", BENCH / "c"
    eth_vlan_ip = (bytes(12) + struct.pack("!HHH", 0x8100, 5, 0x0800)).ljust(64, b"\0")
    ks = [
        Kernel("count_opens", ex / "count_opens.py", c / "count_opens.bpf.c", "on_open", "tracepoint",
               note="tracepoint: not runnable by test_run"),
        Kernel("xdp_ethertype", ex / "xdp_ethertype.py", c / "xdp_ethertype.bpf.c", "count_ethertype",
               "xdp", eth_vlan_ip),
        Kernel("gol_step", ex / "gol_step.py", c / "gol_step.bpf.c", "step", "syscall", setup=_seed_gol,
               note="C: rows in a bpf_loop callback (plain nested loops are refused: 8193 jumps)"),
        Kernel("gol_inline", ex / "gol_step.py", c / "gol_step_inline.bpf.c", "step", "syscall",
               setup=_seed_gol, split=False,
               note="both loops inline: ebpfpy with split=False (API), C branch-free"),
        Kernel("checksum", py / "checksum.py", c / "checksum.bpf.c", "checksum", "xdp", _rand(512, 1)),
        Kernel("hashcount", py / "hashcount.py", c / "hashcount.bpf.c", "hashcount", "xdp", _rand(64, 2)),
        Kernel("sortnet", py / "sortnet.py", c / "sortnet.bpf.c", "sortnet", "xdp", _rand(64, 3)),
        Kernel("crc32", py / "crc32.py", c / "crc32.bpf.c", "crc32", "xdp", _rand(64, 4)),
        Kernel("parse", py / "parse.py", c / "parse.bpf.c", "parse", "xdp", _vlan_udp_frame()),
    ]
    return [k for k in ks if k.py.exists()]


# ---------------------------------------------------------------------------------- timing
def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def cpu_seconds() -> float:
    """User + system CPU time of this process and of every child it has waited for (a
    compiler that forks for code generation does its work in the child)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def median_cpu_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median CPU time of ``fn()``, children included (steadier than wall-clock on a busy
    machine)."""
    times = []
    for _ in range(runs):
        t = cpu_seconds()
        fn()
        times.append((cpu_seconds() - t) * 1e3)
    return statistics.median(times)


def ebpfpy_cmd() -> list[str]:
    """The installed ``ebpfpy`` script beside this interpreter, else ``python -m ebpfpy``."""
    script = Path(sys.executable).parent / "ebpfpy"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ebpfpy"]


def run_quiet(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env=env, cwd=ROOT)


def no_cache_env() -> dict[str, str]:
    return dict(os.environ, EBPFPY_NO_CACHE="1")


def cold_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the compile server: the CLI compiles in its own process."""
    return dict(env, EBPFPY_NO_SERVER="1")


def server_cpu_ms() -> tuple[int, float] | None:
    """The running compile server's pid and CPU time so far (user + system, from /proc)."""
    from ebpfpy.compile_client import server_pid
    pid = server_pid()
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) * 1e3 / os.sysconf("SC_CLK_TCK")


def served_times_ms(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """``cmd`` (an ``ebpfpy compile``) answered by the compile server: median wall-clock and
    median CPU of the client process, and the server's CPU per request (its total over the
    runs, /proc's clock ticks, divided by the runs).  The first run starts the server."""
    run_quiet(cmd, env)
    before = server_cpu_ms()
    wall, cpu = child_times_ms(cmd, runs, env)
    after = server_cpu_ms()
    if before is None or after is None or before[0] != after[0]:
        raise RuntimeError("the compile server did not serve every run (restarted or absent)")
    return wall, cpu, (after[1] - before[1]) / runs


def clang_compile(src: Path, out: Path) -> None:
    run_quiet([CLANG, *CLANG_FLAGS, "-c", str(src), "-o", str(out)])


def compile_times(k: Kernel, tmp: Path, runs: int) -> dict[str, Any]:
    """Process and in-process compile times (ms, medians), cache off; the two objects."""
    import ebpfpy
    res: dict[str, Any] = {}
    py_out, c_out = tmp / f"{k.name}.py.o", tmp / f"{k.name}.c.o"
    # as an installed package runs: with .pyc files (see startup_envs), the cache off
    env = dict(list(startup_envs(tmp).values())[-1], EBPFPY_NO_CACHE="1")
    cli = [*ebpfpy_cmd(), "compile", str(k.py), "-o", str(py_out)]
    run_quiet(cli, cold_env(env))
    res["py_cold_ms"], res["py_cold_cpu_ms"] = child_times_ms(cli, runs, cold_env(env))
    wall, client, server = served_times_ms(cli, runs, env)
    res["py_cli_ms"], res["py_cli_client_cpu_ms"], res["py_cli_server_cpu_ms"] = wall, client, server
    res["py_cli_cpu_ms"] = client + server
    os.environ["EBPFPY_NO_CACHE"] = "1"
    try:
        ebpfpy.compile(k.py, split=k.split)                   # warm: imports, target machine
        res["py_api_ms"] = median_ms(lambda: ebpfpy.compile(k.py, split=k.split), runs)
        res["py_api_cpu_ms"] = median_cpu_ms(lambda: ebpfpy.compile(k.py, split=k.split), runs)
        res["py_elf"] = py_out.read_bytes() if k.split else ebpfpy.compile(k.py, split=False)
    finally:
        del os.environ["EBPFPY_NO_CACHE"]
    if CLANG and k.c.exists():
        res["c_cli_ms"], res["c_cli_cpu_ms"] = child_times_ms(
            [CLANG, *CLANG_FLAGS, "-c", str(k.c), "-o", str(c_out)], runs)
        res["c_elf"] = c_out.read_bytes()
    return res


# ---------------------------------------------------------------------------------- kernel side
def loaded_facts(obj: Any, k: Kernel) -> dict[str, Any]:
    """The program's sizes and verifier work (and the functions in the object)."""
    p = obj.programs[k.prog]
    res: dict[str, Any] = prog_info(p.fd)
    res["insn_cnt"] = p.insn_cnt
    logged = processed_from_log(p.log)
    if logged is not None:
        res["processed"] = logged
    if k.setup:
        k.setup(obj)
    return res


def time_programs(k: Kernel, progs: list[Any], runs: int, repeat: int) -> list[dict[str, Any]]:
    """Run time per call of each program, batches interleaved so drift hits all alike."""
    if k.kind not in ("xdp", "syscall"):
        return [{} for _ in progs]
    samples: list[list[float]] = [[] for _ in progs]
    rets: list[Any] = [None for _ in progs]
    warm = []
    for p in progs:                                           # warm caches and branch predictors
        warm.append(p.test_run(data=k.data, repeat=1000) if k.kind == "xdp" else p.test_run())
    n = runs
    if k.kind == "syscall":
        n = max(runs * 4, 20)
    elif max(r.duration_ns for r in warm) < SHORT_NS:
        n = max(runs * 3, 21)                                 # cheap, and resolved by count
    for _ in range(n):
        for i, p in enumerate(progs):
            if k.kind == "xdp":
                r = p.test_run(data=k.data, repeat=repeat)
                samples[i].append(r.duration_ns)
            else:                                             # syscall: one call per test_run
                t = time.perf_counter_ns()
                r = p.test_run()
                samples[i].append(time.perf_counter_ns() - t)
            rets[i] = r.retval
    figure = truncated_average if k.kind == "xdp" else statistics.median
    return [{"run_ns": figure(s), "retval": ret} for s, ret in zip(samples, rets)]


# An XDP program faster than this is timed with more batches (each costs repeat * its time).
SHORT_NS = 200


def truncated_average(samples: list[float]) -> float:
    """One call's time from the kernel's per-batch figures, below their 1-ns resolution.

    ``BPF_PROG_TEST_RUN`` reports ``floor(total / repeat)``: 1 ns is 4% of a 25-ns program,
    and the median of such integers is an integer, so the ratio of two programs jumped
    between 1.04x and 1.09x from one run to the next.  The batches' own jitter (a 25-ns
    program reads 24, 25 or 26) dithers the truncation: the mean of the middle half of the
    sorted figures (robust to a batch the machine disturbed, like a median) keeps the
    fraction, and truncation takes 0.5 off a uniformly spread fraction on average, added back.
    """
    s = sorted(samples)
    q = len(s) // 4
    middle = s[q:len(s) - q] or s
    return statistics.fmean(middle) + 0.5


def measure_kernel_side(k: Kernel, elfs: dict[str, bytes], runs: int, repeat: int, loads: int,
                        note: list[str]) -> dict[str, dict[str, Any]]:
    """Load each side's object, read its facts, time the loaded programs together; ``loads``
    times, the median of the per-load medians.  Reloading matters: the JIT puts the image at a
    random offset, and where a hot loop's jump falls against 32-byte lines moves a small
    program's time by 10-15% from one load to the next."""
    import contextlib

    import ebpfpy
    out: dict[str, dict[str, Any]] = {side: {} for side in elfs}
    times: dict[str, list[float]] = {side: [] for side in elfs}
    for round_ in range(loads):
        with contextlib.ExitStack() as stack:
            progs = {}
            for side, elf in elfs.items():
                try:
                    obj = stack.enter_context(ebpfpy.load(elf, log_level=4))
                except Exception as e:          # noqa: BLE001 - report it, measure the rest
                    if round_ == 0:
                        note.append(f"{side} object did not load: {str(e).splitlines()[0]}")
                    continue
                facts = loaded_facts(obj, k)
                if round_ == 0:
                    out[side].update(facts)
                progs[side] = obj.programs[k.prog]
            for side, res in zip(progs, time_programs(k, list(progs.values()), runs, repeat)):
                if "run_ns" in res:
                    times[side].append(res["run_ns"])
                    out[side]["retval"] = res["retval"]
        if k.kind not in ("xdp", "syscall"):
            break
    for side, ts in times.items():
        if ts:
            out[side]["run_ns"] = statistics.median(ts)
            out[side]["run_ns_per_load"] = ts
    return out


def bpf_allowed() -> bool:
    try:
        import ebpfpy
        with ebpfpy.load(BENCH / "py" / "checksum.py"):
            return True
    except Exception:                   # noqa: BLE001 - any refusal means "compile-only"
        return False


# ---------------------------------------------------------------------------------- report
COLS = [("py_cli_ms", "c_cli_ms", "cli ms", "{:.0f}"),
        ("py_cli_cpu_ms", "c_cli_cpu_ms", "cli cpu ms", "{:.0f}"),
        ("py_cold_cpu_ms", "c_cli_cpu_ms", "cold cpu ms", "{:.0f}"),
        ("py_api_ms", "c_cli_ms", "api ms", "{:.1f}"),
        ("py_api_cpu_ms", "c_cli_cpu_ms", "api cpu ms", "{:.1f}"),
        ("xlated", "xlated", "xlated", "{}"),
        ("jited_bytes", "jited_bytes", "jit B", "{}"),
        ("processed", "processed", "processed", "{}"),
        ("run_ns", "run_ns", "run ns", "{:.1f}")]


def _fmt(fmt: str, v: Any) -> str:
    return "-" if v is None else fmt.format(v)


def ratio(py: Any, c: Any) -> float | None:
    return py / c if py is not None and c else None


def render(rows: list[dict[str, Any]]) -> str:
    head = f"{'kernel':14}" + "".join(f"{t:>26}" for _, _, t, _ in COLS)
    sub = f"{'':14}" + "".join(f"{'ebpfpy / clang = ratio':>26}" for _ in COLS)
    lines = [head, sub, "-" * len(head)]
    for r in rows:
        py, c = r["ebpfpy"], r.get("clang", {})
        cells = []
        for pk, ck, _, fmt in COLS:
            q = ratio(py.get(pk), c.get(ck))
            cells.append(f"{_fmt(fmt, py.get(pk)):>8} /{_fmt(fmt, c.get(ck)):>7} = "
                         f"{_fmt('{:.2f}', q):>5}")
        lines.append(f"{r['name']:14}" + "".join(f"{x:>26}" for x in cells))
    notes = [f"  {r['name']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(lines + (["notes:"] + notes if notes else [])) + "\n"


def render_startup(startup: dict[str, float]) -> str:
    """Start-up as a small table: wall / CPU ms per command, per environment."""
    lines = [f"{'start-up (median ms, wall / cpu)':42}{'python -c pass':>18}{'ebpfpy --help':>18}"
             f"{'compile, cached':>18}{'compile, no cache':>18}{'cold, no cache':>18}"]
    for prefix, how in (("", "as run here"), ("pyc_", "with .pyc files (an installed package)")):
        if f"{prefix}help_ms" not in startup:
            continue
        if prefix == "" and os.environ.get("PYTHONDONTWRITEBYTECODE"):
            how = "as run here (PYTHONDONTWRITEBYTECODE=1)"
        cells = [f"{startup[f'{prefix}{k}_ms']:.0f} / {startup[f'{prefix}{k}_cpu_ms']:.0f}"
                 for k in ("python_startup", "help", "hello_cached", "hello_nocache", "hello_cold")]
        lines.append(f"{how:42}" + "".join(f"{c:>18}" for c in cells))
    return "\n".join(lines) + "\n"


def targets(rows: list[dict[str, Any]], startup: dict[str, float]) -> list[dict[str, Any]]:
    out = []

    def check(name: str, value: float | None, limit: float, unit: str, info: bool = False) -> None:
        """A target line; ``info``: a figure shown beside a target, measured another way."""
        if value is not None:
            out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                        "pass": value <= limit, "info": info})
    for r in rows:
        py, c = r["ebpfpy"], r.get("clang", {})
        check(f"{r['name']}: in-process compile / clang process, CPU time",
              ratio(py.get("py_api_cpu_ms"), c.get("c_cli_cpu_ms")), T_COMPILE, "x")
        check(f"{r['name']}: ebpfpy compile process + the compile server's CPU for the request "
              "(server running) / clang process, CPU time",
              ratio(py.get("py_cli_cpu_ms"), c.get("c_cli_cpu_ms")), T_CLI, "x")
        check(f"{r['name']}: ebpfpy compile process without the server (EBPFPY_NO_SERVER=1, "
              "cold) / clang process, CPU time",
              ratio(py.get("py_cold_cpu_ms"), c.get("c_cli_cpu_ms")), T_CLI, "x", info=True)
        check(f"{r['name']}: run time / clang", ratio(py.get("run_ns"), c.get("run_ns")), T_RUN, "x")
        check(f"{r['name']}: processed insns / clang", ratio(py.get("processed"), c.get("processed")),
              T_PROCESSED, "x")
    # CPU time, not wall-clock: on a machine shared with other work the wall-clock of a
    # short process measures the queue for a CPU more than the process
    for prefix, how in (("", ""), ("pyc_", ", with .pyc files")):
        check(f"ebpfpy --help (median CPU ms{how})", startup.get(f"{prefix}help_cpu_ms"),
              T_HELP_MS, "ms")
        check(f"ebpfpy compile count_opens.py, cache warm, server running (client + server "
              f"CPU ms{how})", startup.get(f"{prefix}hello_cached_cpu_ms"), T_HELLO_MS, "ms")
        check(f"ebpfpy compile count_opens.py, EBPFPY_NO_CACHE=1, server running (client + "
              f"server CPU ms{how})", startup.get(f"{prefix}hello_nocache_cpu_ms"), T_HELLO_MS, "ms")
        check(f"ebpfpy compile count_opens.py, EBPFPY_NO_CACHE=1 EBPFPY_NO_SERVER=1 (median "
              f"CPU ms{how})", startup.get(f"{prefix}hello_cold_cpu_ms"), T_HELLO_MS, "ms",
              info=True)
    return out


def child_times_ms(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall-clock and median CPU (user + sys) time of running ``cmd``, in ms.  The CPU
    time says what the process costs when other work shares the machine's CPUs."""
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        run_quiet(cmd, env)
        walls.append((time.perf_counter() - t) * 1e3)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3)
    return statistics.median(walls), statistics.median(cpus)


def startup_envs(tmp: Path) -> dict[str, dict[str, str]]:
    """The environments start-up is measured in: as given, and, when this environment turns
    bytecode caching off (``PYTHONDONTWRITEBYTECODE``: every module is compiled from source
    at every start), also with it on as in an installed package (.pyc files kept in ``tmp``)."""
    envs = {"": dict(os.environ)}
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        pyc = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        pyc["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        envs["pyc_"] = pyc
    return envs


def startup_times(runs: int, tmp: Path) -> dict[str, float]:
    """``ebpfpy --help`` and ``ebpfpy compile`` of the hello example, as whole processes."""
    cmd = ebpfpy_cmd()
    hello = [*cmd, "compile", str(HELLO), "-o", str(tmp / "hello.bpf.o")]
    out: dict[str, float] = {}
    for prefix, env in startup_envs(tmp).items():
        nocache = dict(env, EBPFPY_NO_CACHE="1")
        run_quiet(hello, env)                                     # fills the caches
        run_quiet(hello, nocache)
        for key, argv, e in (("python_startup", [sys.executable, "-c", "pass"], env),
                             ("help", [*cmd, "--help"], env),
                             ("hello_cold", hello, cold_env(nocache))):
            out[f"{prefix}{key}_ms"], out[f"{prefix}{key}_cpu_ms"] = child_times_ms(argv, runs, e)
        for key, e in (("hello_cached", env), ("hello_nocache", nocache)):    # server-backed
            wall, client, server = served_times_ms(hello, runs, e)
            out[f"{prefix}{key}_ms"], out[f"{prefix}{key}_cpu_ms"] = wall, client + server
    return out


def outlining_note(k: Kernel, elf: bytes) -> list[str]:
    """What ebpfpy's loop splitting did (it decides how much the verifier walks)."""
    from ebpfpy.objfile import BpfElf
    outlined = sorted(s.name for s in BpfElf(elf).symbols if s.kind == "FUNC" and "__loop_" in s.name)
    if outlined:
        return [f"ebpfpy outlined {', '.join(outlined)}"]
    if k.name == "gol_step":
        return ["ebpfpy outlined no loop: the verifier walks every cell"]
    return []


def load_spread_note(got: dict[str, dict[str, Any]]) -> list[str]:
    """Each side's lowest and highest per-load run time: ``run ns`` is their median, and a
    small program's time depends on where the JIT placed its image (see README.md): a side
    whose loads split into a fast and a slow group shows it here."""
    spans = [f"{side} {min(ts):.1f}-{max(ts):.1f}" for side, res in got.items()
             if len(ts := res.get("run_ns_per_load", [])) > 1]
    return [f"run ns per load: {', '.join(spans)}"] if spans else []


def measure(k: Kernel, tmp: Path, runs: int, repeat: int, loads: int,
            kernel_ok: bool) -> dict[str, Any]:
    ct = compile_times(k, tmp, runs)
    py = {key: ct[key] for key in ("py_cli_ms", "py_cli_cpu_ms", "py_cli_client_cpu_ms",
                                   "py_cli_server_cpu_ms", "py_cold_ms", "py_cold_cpu_ms",
                                   "py_api_ms", "py_api_cpu_ms")}
    c = {key: ct[key] for key in ("c_cli_ms", "c_cli_cpu_ms") if key in ct}
    note = [k.note] if k.note else []
    note += outlining_note(k, ct["py_elf"])
    if kernel_ok:
        elfs = {"ebpfpy": ct["py_elf"]}
        if "c_elf" in ct:
            elfs["clang"] = ct["c_elf"]
        got = measure_kernel_side(k, elfs, runs, repeat, loads, note)
        py.update(got["ebpfpy"])
        c.update(got.get("clang", {}))
        note += load_spread_note(got)
        if "retval" in py and "retval" in c:
            if py.get("retval") != c.get("retval"):
                note.append(f"retval differs: ebpfpy {py.get('retval')}, clang {c.get('retval')}")
    return {"name": k.name, "ebpfpy": py, "clang": c, "note": "; ".join(note)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="repetitions per measurement (median)")
    ap.add_argument("--repeat", type=int, default=100_000, help="test_run repeat for XDP programs")
    ap.add_argument("--loads", type=int, default=5,
                    help="load each object this many times for run time (median of loads)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--only", metavar="NAMES", help="comma-separated kernel names")
    ap.add_argument("--mcpu", metavar="CPU", help="also pass -mcpu=CPU to clang (ebpfpy emits v3; "
                    "clang-19's default is v1)")
    ap.add_argument("--quick", action="store_true", help="--runs 3 --repeat 10000 --loads 3")
    args = ap.parse_args(argv)
    if args.mcpu:
        CLANG_FLAGS.append(f"-mcpu={args.mcpu}")
    if args.quick:
        args.runs, args.repeat, args.loads = 3, 10_000, 3
    ks = kernels()
    if args.only:
        ks = [k for k in ks if k.name in args.only.split(",")]
    if not CLANG:
        print("note: clang-19 not found: the clang column is skipped (apt-get install clang-19)")
    kernel_ok = bpf_allowed()
    if not kernel_ok:
        print("note: bpf() not permitted here: only compile times are measured")
    with tempfile.TemporaryDirectory(prefix="ebpfpy-bench-") as d:
        tmp = Path(d)
        rows = [measure(k, tmp, args.runs, args.repeat, args.loads, kernel_ok) for k in ks]
        startup = startup_times(max(args.runs, 9), tmp)
    print(render(rows))
    print(render_startup(startup))
    tg = targets(rows, startup)
    for t in tg:
        verdict = "INFO" if t["info"] else "PASS" if t["pass"] else "FAIL"
        limit = "shown beside the target" if t["info"] else f"target <= {t['limit']:g}{t['unit']}"
        print(f"{verdict}  {t['target']}: {t['value']:.3f}{t['unit']} ({limit})")
    if args.json:
        env = {"kernel": platform.release(), "python": platform.python_version(),
               "clang": CLANG, "clang_flags": CLANG_FLAGS, "runs": args.runs, "repeat": args.repeat,
               "loads": args.loads}
        write_atomic(args.json, (json.dumps({"env": env, "kernels": rows, "startup": startup,
                                             "targets": tg}, indent=2) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
