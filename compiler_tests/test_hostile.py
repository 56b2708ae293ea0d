"""Hostile inputs generated on the fly: huge, deep, oddly encoded.  Never a traceback or an E999.

Each input either compiles or fails with a CompileError whose diagnostics point into the file
(and, where the test says so, with the exact code and position).
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.errors import CompileError

HEAD = 'from ebpfpy import bpf_program, bpf_function, u32, u64, helpers\n'
PROG = HEAD + '\n@bpf_program("syscall")\ndef main(ctx) -> int:\n'


def outcome(text: str | None = None, path: Path | None = None, **kw: object) -> CompileError | None:
    """None when it compiles; the CompileError otherwise.  Anything else fails the test."""
    try:
        if path is not None:
            ebpfpy.compile(str(path), **kw)
        else:
            ebpfpy.compile(source=text, filename="hostile.py", **kw)
    except CompileError as e:
        text_out = str(e)
        assert "Traceback" not in text_out
        assert all(d.code != "E999" for d in e.errors), text_out
        assert "this is a bug in ebpfpy" not in text_out, text_out
        return e
    return None


def errors_of(e: CompileError | None) -> set[tuple[str, int, int]]:
    assert e is not None, "expected a CompileError"
    return {(d.code, d.lineno, d.col_offset + 1) for d in e.errors}


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.py"
    p.write_bytes(b"")
    e = outcome(path=p)
    assert errors_of(e) == {("E010", 1, 1)}
    assert str(e).startswith(f"{p}:1:1: error: ") and "[E010]" in str(e).splitlines()[0]
    res = subprocess.run([sys.executable, "-m", "ebpfpy", "compile", str(p)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "Traceback" not in res.stderr and "E010" in res.stderr


def test_utf16_file(tmp_path: Path) -> None:
    p = tmp_path / "utf16.py"
    p.write_bytes((PROG + "    return 0\n").encode("utf-16"))
    assert errors_of(outcome(path=p)) == {("E001", 1, 1)}


def test_utf8_bom_compiles(tmp_path: Path) -> None:
    p = tmp_path / "bom.py"
    p.write_bytes(b"\xef\xbb\xbf" + (PROG + "    return 0\n").encode())
    assert outcome(path=p, stop_after="check") is None


def test_latin1_declared_encoding(tmp_path: Path) -> None:
    p = tmp_path / "latin1.py"
    p.write_bytes(b"# coding: latin-1\n" + (PROG + "    # caf\xe9\n    return nope\n").encode("latin-1"))
    assert errors_of(outcome(path=p)) == {("E061", 7, 12)}


def test_non_ascii_columns_count_characters() -> None:
    e = outcome(PROG + "    café = u32(1)\n    y = café + ñope\n    return 0\n")
    assert errors_of(e) == {("E061", 6, 16)}
    caret = str(e).split("\n")[2]
    assert caret == "    " + " " * 15 + "^^^^"


def test_crlf_and_tabs() -> None:
    crlf = (PROG + "    y = nope\n    return 0\n").replace("\n", "\r\n")
    assert errors_of(outcome(crlf)) == {("E061", 5, 9)}
    tabs = PROG + "\ty = nope\n\treturn 0\n"
    assert errors_of(outcome(tabs)) == {("E061", 5, 6)}


def test_nested_parentheses() -> None:
    ok = PROG + "    x = u32(" + "(" * 150 + "1" + ")" * 150 + ")\n    return x\n"
    assert outcome(ok) is None
    too_deep = PROG + "    x = " + "(" * 250 + "1" + ")" * 250 + "\n    return 0\n"
    assert {c for c, _, _ in errors_of(outcome(too_deep))} <= {"E002", "E003"}


def test_deep_if_nesting() -> None:
    def nest(n: int) -> str:
        body = "".join("    " * (i + 1) + f"if helpers.get_prandom_u32() > {i}:\n" for i in range(n))
        return PROG + body + "    " * (n + 1) + "return 1\n    return 0\n"
    assert outcome(nest(90)) is None
    assert {c for c, _, _ in errors_of(outcome(nest(100)))} == {"E002"}   # Python's own limit


@pytest.mark.parametrize("terms", [300, 1000, 3000])
def test_long_sum(terms: int) -> None:
    text = PROG + "    x = u32(1)\n    y = " + " + ".join(["x"] * terms) + "\n    return 0\n"
    e = outcome(text, stop_after="check")
    if e is not None:       # too deep for the checker (at the statement) or for Python's parser
        assert errors_of(e) in ({("E005", 6, 5)}, {("E003", 1, 1)})


def test_very_deep_expressions() -> None:
    for text in (PROG + "    y = " + " + ".join(["1"] * 20000) + "\n    return 0\n",
                 PROG + "    x = " + "-" * 5000 + "u32(1)\n    return 0\n",
                 PROG + "    x = " + "not " * 5000 + "True\n    return 0\n"):
        outcome(text)


def test_huge_integer_literals() -> None:
    e = outcome(PROG + "    x = " + "9" * 5000 + "\n    return 0\n")
    assert {c for c, _, _ in errors_of(e)} == {"E002"}
    e = outcome(PROG + "    x = 0x" + "f" * 5000 + "\n    return 0\n")
    assert {c for c, _, _ in errors_of(e)} <= {"E042", "E044"}
    e = outcome(HEAD + "BIG = 1 << (1 << 40)\n" + PROG[len(HEAD):] + "    return 0\n")
    assert {c for c, _, _ in errors_of(e)} == {"E043"}


def test_very_long_line() -> None:
    text = PROG + "    x = u32(1)" + " " * 200_000 + "# trailing\n    return nope\n"
    assert errors_of(outcome(text)) == {("E061", 6, 12)}


def test_many_errors_in_one_function() -> None:
    text = PROG + "".join(f"    v{i} = undefined_{i}\n" for i in range(500)) + "    return 0\n"
    e = outcome(text)
    assert errors_of(e) == {("E061", 5 + i, 9 + len(str(i))) for i in range(500)}


def test_ten_thousand_lines_with_errors_far_down() -> None:
    lines = PROG.rstrip("\n").split("\n") + ["    acc = u64(0)"]
    lines += [f"    acc += u64({i})" for i in range(9994)]
    lines += ["    return 0"]
    for n in (2500, 5000, len(lines) - 1):         # 0-based index: line n + 1
        lines[n] = "    acc += nope"
    assert len(lines) == 10_000
    start = time.monotonic()
    e = outcome("\n".join(lines) + "\n")
    assert errors_of(e) == {("E061", 2501, 12), ("E061", 5001, 12), ("E061", 10_000, 12)}
    assert time.monotonic() - start < 60


def test_ten_thousand_line_program() -> None:
    body = [f"    acc += u64({i})" for i in range(9994)]
    text = PROG + "    acc = u64(0)\n" + "\n".join(body) + "\n    return 0\n"
    assert text.count("\n") == 10_000
    start = time.monotonic()
    e = outcome(text)      # compiles, or is refused with a CompileError (e.g. the verifier budget)
    assert e is None or all(d.lineno <= 10_000 for d in e.errors)
    assert time.monotonic() - start < 120


@pytest.mark.parametrize("n", [10, 1500])
def test_long_call_chain_and_cycle(n: int) -> None:
    funcs = "".join(f"@bpf_function\ndef f{i}(x: u32) -> u32:\n    return f{i + 1}(x) + 1\n\n"
                    for i in range(n))
    tail = (f"@bpf_function\ndef f{n}(x: u32) -> u32:\n    return x\n\n"
            "@bpf_program('syscall')\ndef main(ctx) -> int:\n    return f0(1)\n")
    outcome(HEAD + funcs + tail, stop_after="check")
    cyc = HEAD + funcs + tail.replace("    return x\n", "    return f0(x)\n")
    e = outcome(cyc, stop_after="check")
    assert "E230" in {c for c, _, _ in errors_of(e)}


def test_many_functions_and_maps() -> None:
    maps = "".join(f"m{i} = HashMap(u32, u64, max_entries=4)\n" for i in range(300))
    progs = "".join(f"@bpf_program('syscall')\ndef p{i}(ctx) -> int:\n    m{i}[1] += 1\n    return 0\n\n"
                    for i in range(300))
    outcome(HEAD.replace("helpers", "helpers, HashMap") + maps + progs, stop_after="check")


def test_cli_on_directory_and_missing_file(tmp_path: Path) -> None:
    for arg in (str(tmp_path), str(tmp_path / "missing.py")):
        res = subprocess.run([sys.executable, "-m", "ebpfpy", "compile", arg],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr


BIG_RECORD = '''
from ebpfpy import bpf_program, struct, RingBuf, u32, u64

@struct
class Sample:
    n: u32
    frames: u64[65536]
    more: u64[65536]

events = RingBuf(1 << 21, event=Sample)

@bpf_program("syscall")
def main(ctx) -> int:
    e = events.reserve()
    if e is not None:
        e.frames[65535] = 1
        events.submit(e)
    return 0
'''


def test_a_megabyte_record_compiles_in_process() -> None:
    """Zeroing a 1 MB ring-buffer record as one store made LLVM's instruction selection abort
    the whole process (a node of more than 65,535 values); it is a loop of 1 KB chunks, and
    the same for copies of such objects."""
    start = time.monotonic()
    src = BIG_RECORD.replace("e.frames[65535] = 1", "e.frames[65535] = 1\n        e.more = e.frames")
    elf = ebpfpy.compile(source=src, filename="big_record.py")
    assert elf.startswith(b"\x7fELF")
    assert time.monotonic() - start < 60
