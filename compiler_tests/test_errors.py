"""The corpus of broken programs: every case fails with exactly the errors written inside it.

Each ``errors/*.py`` starts with one ``# expect: CODE LINE:COL`` line per error the checker
must report (COL 1-based, as printed).  For every case we check the error set, the rendered
form (``FILE:LINE:COL: error: message [CODE]``, source line, caret, ``note:``), that no text
mentions the compiler's own files, and (on a sample) that the CLI exits 1 without a traceback.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.errors import CompileError

HERE = Path(__file__).parent
CASES = sorted((HERE / "errors").glob("*.py"))
PACKAGE_DIR = os.path.dirname(os.path.abspath(ebpfpy.__file__))
EXPECT = re.compile(r"# expect: (E\d{3}) (\d+):(\d+)\s*$")


def expectations(path: Path) -> set[tuple[str, int, int]]:
    """The ``# expect:`` lines at the top of a case (the file may not be valid UTF-8)."""
    out = set()
    for line in path.read_bytes().decode("latin-1").splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        out.add((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


def compile_error(path: Path) -> CompileError:
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(str(path))
    return info.value


def assert_clean_text(text: str) -> None:
    """No message may point into the compiler or show a Python traceback."""
    assert "Traceback" not in text
    assert PACKAGE_DIR not in text
    assert not re.search(r"ebpfpy/[\w/]+\.py", text), text
    assert "internal compiler error" not in text, text


def assert_rendered(err: CompileError, path: Path) -> None:
    """``str(err)``: per error a header, the source line, a caret span and ``note:`` lines."""
    text = str(err)
    blocks = text.split("\n\n")
    assert len(blocks) == len(err.errors), text
    for d, block in zip(err.errors, blocks):
        lines = block.split("\n")
        header = f"{d.filename}:{d.lineno}:{d.col_offset + 1}: error: "
        assert lines[0].startswith(header) and len(lines[0]) > len(header), block
        assert d.filename == str(path)
        assert d.source_line is not None, block
        assert lines[1] == "    " + d.source_line.rstrip("\n").expandtabs(1), block
        caret = lines[2]
        assert re.fullmatch(r" *\^+", caret), block
        assert caret.index("^") == 4 + min(d.col_offset, len(lines[1]) - 4), block
        assert any(ln.startswith("note: ") for ln in lines[3:]), block
        assert "{" not in d.message or "}" not in d.message, f"unfilled template: {d.message}"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 90
    for path in CASES:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_error_case(path: Path) -> None:
    err = compile_error(path)
    got = {(d.code, d.lineno, d.col_offset + 1) for d in err.errors}
    assert got == expectations(path), str(err)
    first = err.errors[0]
    assert (err.code, err.lineno, err.col_offset) == (first.code, first.lineno, first.col_offset)
    assert_rendered(err, path)
    assert_clean_text(str(err))
    for d in err.errors:
        assert_clean_text(d.message + "\n".join(d.notes))


# the CLI costs a process start per case: a spread sample plus the awkward inputs
CLI_CASES = CASES[::10] + [p for p in CASES if p.stem in (
    "non_utf8_comment", "nul_byte", "empty", "unknown_encoding", "syntax_missing_colon",
    "stack_too_big", "recursion_mutual", "several_independent_errors")]


@pytest.mark.parametrize("path", CLI_CASES, ids=[p.stem for p in CLI_CASES])
def test_cli_reports_case(path: Path, tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "ebpfpy", "compile", str(path),
                          "-o", str(tmp_path / "out.o")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1, res.stderr
    assert_clean_text(res.stderr)
    code, line, col = sorted(expectations(path), key=lambda e: (e[1], e[2]))[0]
    assert f"{path}:{line}:{col}: error: " in res.stderr and f"[{code}]" in res.stderr, res.stderr
    assert not (tmp_path / "out.o").exists()
