"""What the installed distribution says about itself: metadata, typing marker, the opt-in pytest
plugin, and a README that reads right on a package index."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import ebpfpy

ROOT = Path(__file__).resolve().parent.parent


def test_metadata_names_license_python_and_links() -> None:
    meta = metadata.metadata("ebpfpy")
    assert meta["License-Expression"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert set(meta["Requires-Python"].split(",")) == {">=3.10", "<3.14"}
    admitted = {c.rsplit(":: ", 1)[1] for c in meta.get_all("Classifier")
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert admitted == {"3.10", "3.11", "3.12", "3.13"}
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    # llvmlite carries one LLVM: only the tested minor version is admitted
    assert any(re.fullmatch(r"llvmlite<0\.\d+,>=0\.\d+|llvmlite>=0\.\d+,<0\.\d+", r)
               for r in metadata.requires("ebpfpy"))


def test_installed_versions_are_inside_the_declared_bounds() -> None:
    """The bounds say what is tested: the environment running these tests must satisfy them."""
    for req in metadata.requires("ebpfpy"):
        if "extra ==" in req:
            continue
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", req).groups()
        have = tuple(int(x) for x in re.findall(r"\d+", metadata.version(name))[:2])
        for op, ver in re.findall(r"(>=|<)([\d.]+)", spec):
            bound = tuple(int(x) for x in ver.split(".")[:2])
            assert (have >= bound) if op == ">=" else (have < bound), (name, have, op, ver)


def test_package_is_marked_typed() -> None:
    assert (Path(ebpfpy.__file__).parent / "py.typed").is_file()


SIM_TEST = '''
def test_uses_the_fixture(ebpfpy_sim):
    sim = ebpfpy_sim(source="from ebpfpy import *\\n@bpf_program('syscall')\\n"
                            "def main(ctx) -> int:\\n    return 7\\n", filename="m.py")
    assert sim.run("main").retval == 7
'''


@pytest.mark.parametrize("ask", [False, True])
def test_pytest_plugin_loads_only_when_asked(tmp_path: Path, ask: bool) -> None:
    (tmp_path / "test_user.py").write_text(SIM_TEST)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    if ask:
        args[3:3] = ["-p", "ebpfpy.testing.pytest_plugin"]
    r = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    if ask:
        assert r.returncode == 0, r.stdout + r.stderr
    else:
        assert r.returncode == 1 and "fixture 'ebpfpy_sim' not found" in r.stdout, r.stdout


def test_readme_links_are_absolute() -> None:
    """On a package index relative links lead nowhere."""
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", text)
    assert targets, "the README links its documentation"
    relative = [t for t in targets if not re.match(r"https?://|#", t)]
    assert relative == []
    assert "pip install ebpfpy" in text and "libbpf" in text
