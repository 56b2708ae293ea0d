#!/usr/bin/env python3
"""Mutation fuzzing of BPF objects: no corrupted object may crash ebpfpy.load (issue 10 §4).

    sudo .venv/bin/python scripts/fuzz_objects.py --count 10000 [--seed 1] [--out DIR]

Each mutant writes 1-8 random bytes over the seed object (ebpfpy.testing.objfuzz.SEED_SOURCE)
and is validated, disassembled and opened by libbpf in a forked child; every --load-every'th
one (default: all) is also loaded into the kernel.  A child killed by a signal, or failing
with anything but LoadError/ValueError/PermissionError, is a finding: printed as
``offset:hexbytes, ...`` (the form the regression tests keep) and, with --out, written to
DIR/crash-<seed>-<n>.bin.  Exit status: 0 when every mutant was loaded or cleanly refused.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from ebpfpy.testing.objfuzz import (OK_EXIT, SKIPPED_EXIT, load_in_child,  # noqa: E402
                                    mutate, seed_object)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000, help="mutants to try")
    ap.add_argument("--seed", type=int, default=None, help="campaign seed (default: time)")
    ap.add_argument("--out", help="directory for crashing objects")
    ap.add_argument("--load-every", type=int, default=1, metavar="N",
                    help="load every Nth mutant into the kernel; the others stop after "
                         "libbpf's open (default 1: all)")
    ap.add_argument("--no-validate", action="store_true",
                    help="skip ebpfpy's checks and only open with libbpf: finds libbpf's own "
                         "crash sites (to write new checks for)")
    a = ap.parse_args(argv)
    seed = a.seed if a.seed is not None else int(time.time())
    elf = seed_object()
    print(f"seed {seed}: {a.count} mutants of a {len(elf)}-byte object", flush=True)
    found = skipped = 0
    t0 = time.monotonic()
    for n in range(a.count):
        m = mutate(random.Random(f"{seed}:{n}"), elf)
        rc = load_in_child(m.apply(elf), kernel=not a.no_validate and n % a.load_every == 0,
                           validate=not a.no_validate)
        skipped += rc == SKIPPED_EXIT
        if rc not in (OK_EXIT, SKIPPED_EXIT):
            found += 1
            why = f"signal {rc - 128}" if rc > 128 else f"exit {rc}"
            print(f"finding {found}: mutant {n} ({why}): {m}", flush=True)
            if a.out:
                os.makedirs(a.out, exist_ok=True)
                with open(os.path.join(a.out, f"crash-{seed}-{n}.bin"), "wb") as f:
                    f.write(m.apply(elf))
        if (n + 1) % 500 == 0:
            print(f"{n + 1}/{a.count} mutants, {found} findings, {skipped} not loaded "
                  f"(maps too big), {time.monotonic() - t0:.1f}s", flush=True)
    print(f"done: {a.count} mutants, {found} findings, {skipped} not loaded (maps too big), "
          f"{time.monotonic() - t0:.1f}s", flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
