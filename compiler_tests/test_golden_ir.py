"""Golden IR: the LLVM IR the lowering emits for small cases, compared line for line.

Each ``golden/NAME.py`` holds the Python source, then ``MARKER``, then the expected IR with
every line commented (so the case file stays valid Python).  Metadata ids (``!123`` →
``!N``) and llvmlite's unnamed temporaries (renumbered in order of appearance) are normalised, so
renumbering alone does not fail a case while any change of instructions, types, names,
sections, attributes or debug metadata content does.  ``pytest --update-golden`` rewrites
the expectations from the current compiler.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import ebpfpy

GOLDEN = Path(__file__).parent / "golden"
MARKER = "# ---- expected IR (normalised; pytest --update-golden rewrites it) ----"
CASES = sorted(p.stem for p in GOLDEN.glob("*.py"))

_META = re.compile(r"!\d+\b")
_TEMP = re.compile(r'%"\.\d+"')


def normalise(ir: str) -> str:
    """IR with metadata ids replaced by ``!N`` and unnamed temporaries renumbered in order of
    first appearance (``%".1"``, ``%".2"``…), which keeps the data flow visible."""
    ir = _META.sub("!N", ir)
    numbers: dict[str, str] = {}
    ir = _TEMP.sub(lambda m: numbers.setdefault(m.group(0), f'%".{len(numbers) + 1}"'), ir)
    return "\n".join(line.rstrip() for line in ir.splitlines()) + "\n"


def split_case(text: str) -> tuple[str, str | None]:
    """(source, expected IR or None) of a case file."""
    if MARKER not in text:
        return text, None
    src, ir = text.split(MARKER + "\n", 1)
    return src, "".join(line[2:] + "\n" if line.startswith("# ") else "\n"
                        for line in ir.splitlines())


def render_case(source: str, ir: str) -> str:
    return source + MARKER + "\n" + "".join(("# " + line).rstrip() + "\n" for line in ir.splitlines())


def test_there_are_enough_cases() -> None:
    assert 8 <= len(CASES) <= 12, CASES


@pytest.mark.parametrize("name", CASES)
def test_golden_ir(name: str, golden) -> None:
    path = GOLDEN / f"{name}.py"
    source, _ = split_case(path.read_text())
    ir = ebpfpy.compile(source=source, filename=f"{name}.py", stop_after="ir")
    golden(path, render_case(source, normalise(ir)))


def test_normalise_keeps_what_matters() -> None:
    a = '%".5" = add i32 %"x", 3, !dbg !17\n!17 = !DILocation(line: 4, column: 5, scope: !9)'
    b = '%".9" = add i32 %"x", 3, !dbg !4\n!4 = !DILocation(line: 4, column: 5, scope: !2)'
    assert normalise(a) == normalise(b)
    assert normalise(a) != normalise(a.replace("add", "sub"))
    assert normalise(a) != normalise(a.replace("line: 4", "line: 5"))
    assert normalise(a) != normalise(a.replace('%"x"', '%"y"'))
    # data flow between temporaries survives the renumbering
    flow = '%".1" = load i32, ptr %"a"\n%".2" = load i32, ptr %"b"\n%".3" = sub i32 %".1", %".2"\n'
    assert normalise(flow) != normalise(flow.replace('sub i32 %".1", %".2"', 'sub i32 %".2", %".1"'))
    assert normalise(flow) == normalise(flow.replace('".1"', '".41"').replace('".2"', '".42"'))


def test_case_files_round_trip() -> None:
    src = "x = 1\n"
    ir = "define i32 @f()\n\n  ret i32 0\n"
    assert split_case(render_case(src, ir)) == (src, ir)
