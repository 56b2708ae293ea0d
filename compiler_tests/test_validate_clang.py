"""The object validator accepts what clang emits, not only ebpfpy's own objects.

objfile/validate.py is stricter than libbpf in a few places (unique section names, known
section and symbol types); every C file of the benchmarks, built as the benchmarks build it,
must still pass.  Skipped where clang-19 is not installed (it is never part of ebpfpy).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ebpfpy.objfile.validate import validate_object

CLANG = shutil.which("clang-19")
C_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "c"


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed (apt-get install clang-19)")
@pytest.mark.parametrize("src", sorted(C_DIR.glob("*.bpf.c")), ids=lambda p: p.name)
def test_clang_objects_validate(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.bpf.o"
    subprocess.run([CLANG, "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu",
                    "-c", str(src), "-o", str(out)], check=True, capture_output=True)
    validate_object(out.read_bytes())
