"""Corrupt BPF objects never crash the interpreter (issue 10 §4); no kernel needed.

Each case runs in a forked child (``ebpfpy.testing.objfuzz.load_in_child``), so a segfault
inside libbpf fails one test instead of killing pytest.  The crasher corpus holds the mutants
of ``objfuzz/seed.bpf.o`` that crashed libbpf 1.1.2 before objects were validated; the random
campaign here is a few hundred mutants (``scripts/fuzz_objects.py`` runs the big ones).
"""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from ebpfpy.objfile.validate import InvalidObjectError, validate_object
from ebpfpy.testing.objfuzz import OK_EXIT, Mutant, load_in_child, mutate

HERE = Path(__file__).resolve().parent / "objfuzz"
SEED = (HERE / "seed.bpf.o").read_bytes()
ROOT = HERE.parent.parent


def _crashers() -> list[tuple[Mutant, str]]:
    out = []
    for line in (HERE / "crashers.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        spec, _, why = line.partition("#")
        edits = tuple((int(o), bytes.fromhex(h)) for o, h in
                      (p.strip().split(":") for p in spec.split(",")))
        out.append((Mutant(edits), why.strip()))
    return out


CRASHERS = _crashers()


def test_the_seed_object_is_valid() -> None:
    validate_object(SEED)
    assert load_in_child(SEED, kernel=False) == OK_EXIT


@pytest.mark.parametrize("mutant,why", CRASHERS, ids=[str(m) for m, _ in CRASHERS])
def test_known_crashers_are_refused_before_libbpf(mutant: Mutant, why: str) -> None:
    bad = mutant.apply(SEED)
    with pytest.raises(InvalidObjectError) as info:
        validate_object(bad)
    assert str(info.value) == f"not a valid BPF object: {why}"
    assert load_in_child(bad, kernel=False) == OK_EXIT     # and the whole path survives


def test_a_few_hundred_random_mutants_open_or_fail_cleanly() -> None:
    findings = []
    for n in range(300):
        m = mutate(random.Random(f"ci:{n}"), SEED)
        rc = load_in_child(m.apply(SEED), kernel=False)
        if rc != OK_EXIT:
            findings.append(f"mutant {n} ({'signal %d' % (rc - 128) if rc > 128 else rc}): {m}")
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("garbage", [b"", b"\x7fELF", b"\x7fELF" + bytes(60), SEED[:500],
                                     SEED[:-100], b"not an object at all"])
def test_truncated_and_garbage_objects_are_refused(garbage: bytes) -> None:
    with pytest.raises(InvalidObjectError, match="^not a valid BPF object: "):
        validate_object(garbage)


def test_disasm_of_a_broken_object_is_a_user_error(tmp_path: Path) -> None:
    mutant, why = CRASHERS[0]
    obj = tmp_path / "broken.bpf.o"
    obj.write_bytes(mutant.apply(SEED))
    res = subprocess.run([sys.executable, "-m", "ebpfpy", "disasm", str(obj)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stderr
    assert res.stderr == f"ebpfpy: {obj}: not a valid BPF object: {why}\n"
    assert "internal error" not in res.stderr
