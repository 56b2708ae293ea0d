"""Start-up stays cheap: importing ebpfpy (as every BPF module does) and ``ebpfpy --help`` pull in
neither llvmlite, nor cffi, nor NumPy; those load only when a command needs them.  No timing
assertions: which modules load is what decides the time, and it does not flake."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("llvmlite", "cffi", "numpy", "_cffi_backend")


def loaded_after(code: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter has loaded after running ``code``."""
    probe = code + "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env=dict(os.environ, EBPFPY_NO_CACHE="1"))
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import ebpfpy",
    "import ebpfpy as bpf; bpf.u32, bpf.helpers.ktime_get_ns, bpf.XDP_PASS",
    "from ebpfpy import bpf_program, struct, HashMap, Array, u8, u32, u64, helpers",
])
def test_import_is_lazy(code):
    assert loaded_after(code).isdisjoint(HEAVY)


def test_help_is_lazy():
    code = ("import sys; from ebpfpy.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert loaded_after(code).isdisjoint(HEAVY)


def test_parser_building_is_lazy():
    code = "from ebpfpy.cli import build_parser; build_parser().format_help()"
    assert loaded_after(code).isdisjoint(HEAVY)
