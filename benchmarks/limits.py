"""Programs past the instruction limit: ebpfpy next to C written the way an expert would.

For each program of examples/limits: verifier processed instructions, load time and run
time, for the ebpfpy build and for a clang build (benchmarks/c/limits.bpf.c, compiled in
this run with ``clang -O2 -g -target bpf`` when clang is installed), printed as ratios.

    python benchmarks/limits.py [--runs N] [--json FILE]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ebpfpy.api import compile_full  # noqa: E402
from ebpfpy.atomic_write import write_atomic  # noqa: E402
from ebpfpy.loader import BpfObject  # noqa: E402

LIMITS = ROOT / "examples" / "limits"
C_SOURCE = ROOT / "benchmarks" / "c" / "limits.bpf.c"
CASES = [  # (name, ebpfpy file, C program name)
    ("sum over range(2_000_000)", "sum_2m", "sum_2m"),
    ("8,000,000-iteration loop", "loop_8m", "loop_8m"),
    ("nested loops, 10**7", "nested_1e7", "nested_1e7"),
    ("GoL generation 1024x1024", "gol_1024", "gol_1024"),
    ("5,000 straight-line statements", "straight_line", "straight_5000"),
]


def find_clang() -> str | None:
    for name in ("clang-19", "clang-18", "clang-17", "clang"):
        if shutil.which(name):
            return name
    return None


def straight_c(n: int) -> str:
    body = "\n".join(f"\tx = x * {3 + k % 5} + {k};" if k % 2 else f"\tx ^= x >> {1 + k % 7};"
                     for k in range(n))
    return ("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
            "char LICENSE[] SEC(\"license\") = \"GPL\";\n"
            "struct io { __u64 n, total, extra; };\n"
            "SEC(\"syscall\") int straight_5000(struct io *ctx)\n{\n\t__u64 x = ctx->n;\n"
            f"{body}\n\tctx->total = x;\n\treturn 0;\n}}\n")


def clang_build(clang: str, source: Path, *defines: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.o"
        arch = f"/usr/include/{os.uname().machine}-linux-gnu"     # asm/types.h
        subprocess.run([clang, "-O2", "-g", "-target", "bpf", "-I", arch,
                        *[f"-D{d}" for d in defines], "-c", str(source), "-o", str(out)],
                       check=True)
        return out.read_bytes()


def ebpfpy_build(stem: str) -> tuple[bytes, Any]:
    if stem == "straight_line":
        spec = importlib.util.spec_from_file_location("straight", LIMITS / "straight_line.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        c = compile_full(source=mod.source(5000), filename="straight_5000.py")
    else:
        c = compile_full(LIMITS / f"{stem}.py")
    return c.elf, c


def measure(elf: bytes, prog: str, ctx_size: int, prepare: Callable[[BpfObject], None] | None,
            runs: int, compiled: Any = None) -> dict[str, float]:
    loads = []
    for _ in range(runs):       # the median: the first load in a process also pays libbpf's set-up
        t0 = time.perf_counter()
        BpfObject(elf, compiled=compiled).close()
        loads.append(time.perf_counter() - t0)
    load_s = statistics.median(loads)
    obj = BpfObject(elf, compiled=compiled, log_level=4)
    with obj:
        p = obj.programs[prog]
        m = re.search(r"processed (\d+) insns", p.log)
        if prepare:
            prepare(obj)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            p.test_run(ctx=bytes(ctx_size))
            times.append(time.perf_counter() - t)
        return {"processed": int(m.group(1)) if m else -1, "load_ms": load_s * 1e3,
                "run_ms": statistics.median(times) * 1e3}


def seed_board(obj: BpfObject) -> None:
    board = (np.random.default_rng(1).random((1024, 1024)) < 0.35).astype(np.uint8)
    m = obj.maps.boards
    # ebpfpy's value is u8[1024][1024]; the C one is struct board { __u8 c[N][N]; }
    m[0] = {"c": board.tolist()} if hasattr(m.value_type, "fields") else board.tolist()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    clang = find_clang()
    c_objs: dict[str, bytes] = {}
    if clang:
        for _title, _stem, cname in CASES[:-1]:
            c_objs[cname] = clang_build(clang, C_SOURCE, f"PROG_{cname}")
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "straight.bpf.c"
            p.write_text(straight_c(5000))
            c_objs["straight"] = clang_build(clang, p)
    else:
        print("clang not installed: the C column is skipped (apt-get install clang-19)")
    rows = []
    for title, stem, cname in CASES:
        elf, comp = ebpfpy_build(stem)
        ctx = 4 if stem == "gol_1024" else 24
        prep = seed_board if stem == "gol_1024" else None
        row: dict[str, Any] = {"case": title, "ebpfpy": measure(elf, "main", ctx, prep, args.runs, comp)}
        if clang:
            celf = c_objs["straight" if stem == "straight_line" else cname]
            row["clang"] = measure(celf, cname, ctx, prep, args.runs)
        rows.append(row)
    print(f"{'program':34} {'processed e/c':>22} {'load ms e/c':>20} {'run ms e/c':>22}")
    for r in rows:
        e, c = r["ebpfpy"], r.get("clang")

        def col(k: str, fmt: str) -> str:
            if not c:
                return format(e[k], fmt)
            ratio = e[k] / c[k] if c[k] else float("inf")
            return f"{format(e[k], fmt)}/{format(c[k], fmt)} ({ratio:.2f}x)"
        print(f"{r['case']:34} {col('processed', 'd'):>22} {col('load_ms', '.1f'):>20} "
              f"{col('run_ms', '.2f'):>22}")
    if args.json:
        write_atomic(args.json, json.dumps(rows, indent=2).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
