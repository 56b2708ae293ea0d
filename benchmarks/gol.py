"""Game of Life speed: ebpfpy's kernel GoL vs the same algorithm in C (clang) vs NumPy.

    python benchmarks/gol.py [--sizes 64,256,1024,4096] [--seconds S] [--repeat R]

Both kernel versions run exactly as ``examples/gol.py --check N`` does: a syscall program arms
a timer whose callback computes bands of rows and re-arms itself until the limit, and the
time from ``start`` to the stop is measured.  The C source (``benchmarks/c/gol.bpf.c``) has
the same maps, globals, state layout and algorithm; it is compiled in the same run with
``clang-19 -O2 -g -target bpf`` when clang is installed and loaded with
``ebpfpy.load(elf_bytes)``.  NumPy runs the same rule on a torus in userspace.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import gol  # noqa: E402  (examples/gol.py: the kernel GoL and its userspace helpers)

import ebpfpy  # noqa: E402

C_SOURCE = Path(__file__).resolve().parent / "c" / "gol.bpf.c"
TARGET_RATIO = 1.25         # ebpfpy's time per generation at 1024² within 1.25× of C's


def build_c() -> bytes | None:
    """The C GoL compiled by clang-19 now, or None (with a note) when clang is missing."""
    clang = shutil.which("clang-19") or shutil.which("clang")
    if clang is None:
        print("note: clang not installed: no C column (apt-get install clang-19)")
        return None
    inc = f"/usr/include/{platform.machine()}-linux-gnu"
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "gol.bpf.o")
        subprocess.run([clang, "-O2", "-g", "-target", "bpf", f"-I{inc}", "-c", str(C_SOURCE),
                        "-o", out], check=True)
        return Path(out).read_bytes()


def generations_for(cells: int, seconds: float, rate_guess: float) -> int:
    """Enough generations for about ``seconds`` at ``rate_guess`` cells/s."""
    return max(3, min(1_000_000, int(seconds * rate_guess / cells)))


def time_kernel(obj, board: np.ndarray, generations: int) -> tuple[float, np.ndarray]:
    """Seconds for ``generations`` generations by the timer path, and the final board."""
    life = gol.Life(obj, board, limit=generations)
    try:
        t0 = time.perf_counter()
        life.run()
        while not life.status()[1]:
            time.sleep(0.0002)
        elapsed = time.perf_counter() - t0
        g, _ = life.status()
        assert g == generations, (g, generations)
        return elapsed, life.current(g).copy()
    finally:
        life.close()


def numpy_step(b: np.ndarray) -> np.ndarray:
    p = np.pad(b, 1, mode="wrap")
    n = (p[:-2, :-2] + p[:-2, 1:-1] + p[:-2, 2:] + p[1:-1, :-2] + p[1:-1, 2:]
         + p[2:, :-2] + p[2:, 1:-1] + p[2:, 2:])
    return ((n == 3) | ((n == 2) & (b == 1))).astype(np.uint8)


def time_numpy(board: np.ndarray, seconds: float) -> tuple[float, int]:
    """(seconds, generations) of the NumPy GoL run for about ``seconds``."""
    b, g = board, 0
    t0 = time.perf_counter()
    while True:
        b = numpy_step(b)
        g += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and g >= 3:
            return elapsed, g


def best_of(fn, repeat: int):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="64,256,1024,4096", help="square board sides")
    p.add_argument("--seconds", type=float, default=1.0, help="about this long per run")
    p.add_argument("--repeat", type=int, default=3, help="best of R runs (kernel versions)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    c_elf = build_c()
    rows, ok = [], True
    with ebpfpy.load(str(ROOT / "examples" / "gol.py")) as py_obj, \
            (ebpfpy.load(c_elf) if c_elf else _Null()) as c_obj:
        for n in sizes:
            board = gol.initial_board("random", n, n, seed=1)
            gens = generations_for(n * n, args.seconds, 250e6 if n > 128 else 100e6)
            t_py, b_py = best_of(lambda: time_kernel(py_obj, board, gens), args.repeat)
            t_c = b_c = None
            if c_elf:
                t_c, b_c = best_of(lambda: time_kernel(c_obj, board, gens), args.repeat)
                if not np.array_equal(b_py, b_c):
                    print(f"{n}x{n}: the ebpfpy and C boards differ after {gens} generations")
                    ok = False
            t_np, g_np = time_numpy(board, min(args.seconds, 3.0))
            rows.append((n, gens, t_py / gens, t_c / gens if t_c else None, t_np / g_np))
    print_table(rows)
    return verdict(rows) if ok else 1


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def print_table(rows) -> None:
    head = (f"{'board':>11} {'gens':>7} | {'ebpfpy gen/s':>12} {'Mcells/s':>9} | "
            f"{'C gen/s':>10} {'Mcells/s':>9} | {'NumPy gen/s':>11} {'Mcells/s':>9} | "
            f"{'ebpfpy/C':>8} {'ebpfpy/NumPy':>12}")
    print("time per generation; ratios are of times (below 1: ebpfpy is faster)")
    print(head)
    print("-" * len(head))
    for n, gens, py, c, npy in rows:
        cells = n * n
        cs = (f"{1 / c:>10,.1f} {cells / c / 1e6:>9,.1f}" if c else f"{'-':>10} {'-':>9}")
        ratio = f"{py / c:>7.2f}x" if c else f"{'-':>8}"
        print(f"{f'{n}x{n}':>11} {gens:>7} | {1 / py:>12,.1f} {cells / py / 1e6:>9,.1f} | {cs} | "
              f"{1 / npy:>11,.1f} {cells / npy / 1e6:>9,.1f} | {ratio} {py / npy:>11.2f}x")


def verdict(rows) -> int:
    """The pass/fail line for 1024²; exit status 0 when it passes (or cannot be measured)."""
    for n, _, py, c, _ in rows:
        if n == 1024 and c:
            ok = py <= TARGET_RATIO * c
            print(f"1024²: ebpfpy within {TARGET_RATIO}x of C time per generation: "
                  f"{'PASS' if ok else 'FAIL'} ({py * 1e3:.2f} ms vs {c * 1e3:.2f} ms, "
                  f"ratio {py / c:.2f})")
            return 0 if ok else 1
    print("1024²: not measured (needs size 1024 and clang)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
