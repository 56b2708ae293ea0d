"""Differential fuzzing in CI: random well-typed programs agree in the kernel and in CPython.

300 programs (30 modules of 10), each run on 4 ctx values in sequence; after every run the
retval, the ctx bytes, both maps and the global must be equal in the kernel and in
``ebpfpy.testing``.  The seed is fixed, so a failure reproduces; ``scripts/fuzz.py --count N``
runs longer campaigns with fresh seeds.  A hypothesis test adds shrinking on top.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebpfpy.testing.difftest import run_batch
from ebpfpy.testing.progen import HypothesisChooser, generate, random_inputs

SEED = 20261125
PROGRAMS, PER_MODULE, RUNS = 300, 10, 4


def _batch(seed: object, start: int, n: int) -> tuple[list, list]:
    specs, inputs = [], []
    for j in range(start, start + n):
        r = random.Random(f"{seed}:{j}")
        spec = generate(r, f"p{j}_")
        specs.append(spec)
        inputs.append([random_inputs(r, spec) for _ in range(RUNS)])
    return specs, inputs


@pytest.mark.parametrize("start", range(0, PROGRAMS, PER_MODULE))
def test_fuzz_kernel_agrees_with_simulator(start: int) -> None:
    specs, inputs = _batch(SEED, start, PER_MODULE)
    bad = run_batch(specs, inputs, filename=f"fuzz_{start}.py")
    assert not bad, "\n\n".join(str(m) for m in bad)


@settings(derandomize=True, max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_fuzz_hypothesis(data: st.DataObject) -> None:
    """The same generator driven by hypothesis, so a failure shrinks to a small program."""
    c = HypothesisChooser(data)
    spec = generate(c, "h_")
    ins = [random_inputs(c, spec) for _ in range(2)]
    bad = run_batch([spec], [ins], filename="fuzz_h.py")
    assert not bad, "\n\n".join(str(m) for m in bad)
