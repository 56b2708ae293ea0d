"""The same object through two loaders: bpftool (libbpf's own CLI) and ebpfpy's cffi libbpf.

Every example, and the programs of the differential suites, must load with
``bpftool prog loadall OBJ /sys/fs/bpf/DIR`` (the contract says objects load with bpftool,
libbpf, cilium/ebpf and aya), keeping its BTF: neither bpftool's libbpf debug output nor
ebpfpy's libbpf messages may contain "BTF is optional" (the kernel refused the BTF and
libbpf silently dropped it with all line info).
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import libbpf as L
from ebpfpy.loader.object import BpfObject

import test_differential_edges
import test_differential_maps

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.py"))
SOURCES = {"edges.py": test_differential_edges.SOURCE, "maps_diff.py": test_differential_maps.SOURCE}
_ids = itertools.count()


def _compile(which: str) -> tuple[bytes, str]:
    if which in SOURCES:
        return ebpfpy.compile(source=SOURCES[which], filename=which), SOURCES[which]
    path = EXAMPLES / which
    return ebpfpy.compile(str(path)), path.read_text()


@pytest.fixture
def pin_dir(bpffs: Path):
    """A fresh directory in bpffs, removed with everything pinned in it."""
    d = bpffs / f"ebpfpy_loadall_{os.getpid()}_{next(_ids)}"
    try:
        yield d
    finally:
        if d.exists():
            shutil.rmtree(d)


@pytest.mark.parametrize("which", EXAMPLE_FILES + sorted(SOURCES))
def test_bpftool_loadall(which: str, pin_dir: Path, tmp_path: Path) -> None:
    assert shutil.which("bpftool"), "bpftool is not installed"
    elf, _ = _compile(which)
    obj = tmp_path / (Path(which).stem + ".bpf.o")
    obj.write_bytes(elf)
    # libbpf warns "Error loading .BTF into kernel: ... BTF is optional, ignoring." at the
    # warning level, which bpftool prints by default (-d would add level-2 verifier logs,
    # minutes for the big examples)
    res = subprocess.run(["bpftool", "prog", "loadall", str(obj), str(pin_dir)],
                         capture_output=True, text=True)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert "BTF is optional" not in out and "Error loading .BTF" not in out, out[-4000:]
    pinned = sorted(p.name for p in pin_dir.iterdir())
    progs = ebpfpy.api.compile_full(source=_compile(which)[1], filename=which).programs
    assert set(pinned) >= set(progs), (pinned, progs)


@pytest.mark.parametrize("which", EXAMPLE_FILES + sorted(SOURCES))
def test_libbpf_keeps_the_btf(which: str) -> None:
    elf, _ = _compile(which)
    mark = L.message_mark()
    with BpfObject(elf) as o:
        assert o.programs
    msgs = L.messages_since(mark)
    assert not [m for m in msgs if "BTF is optional" in m], "".join(msgs)
