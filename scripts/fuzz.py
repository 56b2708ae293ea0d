#!/usr/bin/env python3
"""Differential fuzzing campaign: random programs run in the kernel and in ebpfpy.testing.

    sudo .venv/bin/python scripts/fuzz.py --count 2000 [--seed 1] [--batch 10] [--runs 4] [--out DIR]
    sudo .venv/bin/python scripts/fuzz.py --seed 1 --first 55 --count 1    # program 55 alone

Every mismatch (and every compile or load failure of a well-typed program) is printed with a
self-contained reproducer, and written to DIR/mismatch-<seed>-<n>.py when --out is given.
Exit status: 0 when every program agreed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from ebpfpy.atomic_write import write_atomic           # noqa: E402
from ebpfpy.testing.difftest import run_batch          # noqa: E402
from ebpfpy.testing.progen import generate, random_inputs   # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=300, help="programs to generate")
    ap.add_argument("--seed", type=int, default=None, help="campaign seed (default: time)")
    ap.add_argument("--first", type=int, default=0,
                    help="index of the first program (programs depend only on seed and index)")
    ap.add_argument("--batch", type=int, default=10, help="programs per compiled module")
    ap.add_argument("--runs", type=int, default=4, help="ctx values per program")
    ap.add_argument("--out", help="directory for reproducers")
    ap.add_argument("--known-issues", action="store_true",
                    help="also generate constructs with open verifier issues (docs/testing.md)")
    a = ap.parse_args(argv)
    seed = a.seed if a.seed is not None else int(time.time())
    print(f"seed {seed}: {a.count} programs, {a.batch} per module, {a.runs} runs each", flush=True)
    found = 0
    t0 = time.monotonic()
    end = a.first + a.count
    for start in range(a.first, end, a.batch):
        specs, inputs = [], []
        for j in range(start, min(start + a.batch, end)):
            r = random.Random(f"{seed}:{j}")
            spec = generate(r, f"p{j}_", a.known_issues)
            specs.append(spec)
            inputs.append([random_inputs(r, spec) for _ in range(a.runs)])
        for m in run_batch(specs, inputs):
            found += 1
            print(f"\n=== mismatch {found} (seed {seed}) ===\n{m}", flush=True)
            if a.out:
                os.makedirs(a.out, exist_ok=True)
                note = "".join(f"# {line}\n" for line in f"[{m.kind}] {m.detail}".splitlines())
                write_atomic(os.path.join(a.out, f"mismatch-{seed}-{found}.py"),
                             (note + m.reproducer()).encode())
        done = min(start + a.batch, end) - a.first
        print(f"{done}/{a.count} programs, {found} mismatches, {time.monotonic() - t0:.1f}s", flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
