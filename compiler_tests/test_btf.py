"""ELF/BTF structure of compiled objects, without a kernel.

For several programs: every statement line of every function body has BTF line info; each
line info record quotes the Python source line it names; FUNC_PROTO parameters are named
(the kernel rejects anonymous ones and libbpf then drops all BTF); ``.maps`` holds one VAR
per map with the declared key/value types; the ``license`` section; no ``.eh_frame``;
programs sit in their sections and subprograms in ``.text``.
"""
from __future__ import annotations

import ast
import io
import re
import struct
import textwrap

import pytest
from elftools.elf.elffile import ELFFile

import ebpfpy
from ebpfpy.objfile import Btf, BpfElf, load_ext

MAPS_AND_CALLS = textwrap.dedent('''
    from ebpfpy import (bpf_program, bpf_function, struct, Array, HashMap, LruHashMap,
                        PerCpuArray, RingBuf, helpers, u8, u16, u32, u64, i32, i64)

    LICENSE = "Dual BSD/GPL"

    @struct
    class Point:
        x: u32
        y: i32

    @struct
    class Args:
        n: u32
        out: i64

    counts = HashMap(u32, u64, max_entries=64)
    points = LruHashMap(u64, Point, max_entries=32)
    cells = Array(u8[16], 4)
    per = PerCpuArray(u32, 2)
    events = RingBuf(4096, event=Point)
    total: u64 = 0

    @bpf_function
    def dist(p: Point, scale: i32) -> i64:
        d = i64(p.y) * scale
        if d < 0:
            d = -d
        return d + i64(p.x)

    @bpf_program("syscall")
    def run(ctx: Args) -> int:
        global total
        p = Point(x=ctx.n, y=-3)
        points[u64(ctx.n)] = p
        ctx.out = dist(p, 2)
        counts[ctx.n] += 1
        for i in range(min(ctx.n, 8)):
            if i == 5:
                break
            total += i
        events.output(p)
        return 0

    @bpf_program("xdp")
    def xdp_count(ctx) -> int:
        per[0] += 1
        r = counts.lookup(1)
        if r is None:
            return 2
        r.value += 1
        return 2
''')

SIMPLE = textwrap.dedent('''
    from ebpfpy import bpf_program, bpf_function, HashMap, u32, u64, helpers

    seen = HashMap(u32, u64, max_entries=1024)

    @bpf_function
    def bump(key: u32, by: u64) -> u64:
        seen[key] += by
        return seen[key]

    @bpf_program("tracepoint/syscalls/sys_enter_getpid")
    def on_getpid(ctx) -> int:
        pid = u32(helpers.get_current_pid_tgid() >> 32)
        n = bump(pid, 2)
        if n > 10:
            del seen[pid]
        return 0
''')

OUTLINED = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, u32, u64

    @struct
    class Args:
        n: u32
        out: u64

    total: u64 = 0

    @bpf_program("syscall")
    def big(ctx: Args) -> int:
        global total
        for i in range(200000):
            total += u64(i) * ctx.n
        ctx.out = total
        return 0
''')

PROGRAMS = {"maps_and_calls.py": MAPS_AND_CALLS, "simple.py": SIMPLE, "outlined.py": OUTLINED}
# (map name, key, value) as the BTF must name them
EXPECTED_MAPS = {
    "maps_and_calls.py": {"counts": ("u32", "u64", 1, 64), "points": ("u64", "struct Point", 9, 32),
                          "cells": ("u32", "u8[16]", 2, 4), "per": ("u32", "u32", 6, 2),
                          "events": (None, None, 27, 4096)},
    "simple.py": {"seen": ("u32", "u64", 1, 1024)},
    "outlined.py": {},
}
SECTIONS = {"maps_and_calls.py": {"run": "syscall", "xdp_count": "xdp"},
            "simple.py": {"on_getpid": "tracepoint/syscalls/sys_enter_getpid"},
            "outlined.py": {"big": "syscall"}}
# @bpf_function bodies may be inlined (they are internal); an outlined loop never is
SUBPROGRAMS = {"maps_and_calls.py": set(), "simple.py": set(), "outlined.py": {"big__loop_l"}}


@pytest.fixture(scope="module", params=sorted(PROGRAMS))
def case(request) -> tuple[str, str, BpfElf]:
    name = request.param
    elf = ebpfpy.compile(source=PROGRAMS[name], filename=name, stop_after="obj")
    return name, PROGRAMS[name], BpfElf(elf)


def _statement_lines(fn: ast.FunctionDef) -> set[int]:
    """Lines of the statements of a function body (nested ones included) that do work:
    ``global`` and ``pass`` emit no instruction."""
    lines = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.stmt) and node is not fn and not isinstance(node, (ast.Global, ast.Pass)):
            lines.add(node.lineno)
    return lines


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


# Statement lines -O2 leaves without a line info record of their own (open issue, reported):
# an inlined call's line (all its code belongs to the callee's lines), returns merged into
# one exit block, a loop's ``if ...: break`` folded into the loop test, ``d = -d`` folded
# into a select.  The verifier then quotes a neighbouring line for those instructions.
KNOWN_LOST = {
    "maps_and_calls.py": {28: "d = -d", 36: "ctx.out = dist(p, 2)", 39: "if i == 5:",
                          40: "break", 52: "return 2"},
    "simple.py": {14: "n = bump(pid, 2)"},
    "outlined.py": {},
}


def _lines_without_info(name: str, source: str, elf: BpfElf) -> dict[int, str]:
    ext = load_ext(elf)
    assert ext is not None, "no .BTF.ext"
    everywhere = {li.line for recs in ext.line_info.values() for li in recs}
    text = source.splitlines()
    missing: dict[int, str] = {}
    for fname, fn in _functions(source).items():
        for line in sorted(_statement_lines(fn) - everywhere):
            missing[line] = text[line - 1].strip()
    return missing


def test_every_statement_has_line_info(case) -> None:
    name, source, elf = case
    if KNOWN_LOST[name]:
        pytest.xfail("open: -O2 drops the line info of some statements (see KNOWN_LOST)")
    assert _lines_without_info(name, source, elf) == {}


def test_no_statement_loses_line_info_beyond_the_known_cases(case) -> None:
    """Exactly the documented losses: a new one fails, and so does a fix (update KNOWN_LOST)."""
    name, source, elf = case
    assert _lines_without_info(name, source, elf) == KNOWN_LOST[name]


def test_statement_line_info_stays_inside_its_function() -> None:
    """A subprogram's lines are recorded inside its own instruction range."""
    elf = BpfElf(ebpfpy.compile(source=OUTLINED, filename="outlined.py", stop_after="obj"))
    ext = load_ext(elf)
    sub = next(f for f in elf.code_section(".text").functions if f.name.startswith("big__loop"))
    recs = [li for li in ext.line_info[".text"] if sub.offset <= li.insn_off < sub.offset + sub.size]
    # the for header and the loop body (the def line may mark the subprogram's prologue)
    assert {14, 15} <= {li.line for li in recs} <= {12, 14, 15}


def test_line_info_quotes_the_python_source(case) -> None:
    name, source, elf = case
    lines = source.splitlines()
    ext = load_ext(elf)
    records = [li for recs in ext.line_info.values() for li in recs]
    assert records
    for li in records:
        assert li.file_name.endswith(name), li
        assert 1 <= li.line <= len(lines), li
        assert li.line_text.strip() == lines[li.line - 1].strip(), li


def test_func_info_names_every_function(case) -> None:
    name, source, elf = case
    ext = load_ext(elf)
    named = {fi.name for recs in ext.func_info.values() for fi in recs}
    funcs = {s.name for s in elf.symbols if s.kind == "FUNC"}
    assert named == funcs, (named, funcs)
    assert set(SECTIONS[name]) <= named


def _func_protos(raw: bytes) -> list[tuple[str, list[str]]]:
    """(function name, parameter names) for every BTF FUNC, read from the raw section."""
    btf = Btf(raw)
    hdr_len, type_off, type_len = struct.unpack_from("<III", raw, 4)
    blob = raw[hdr_len + type_off: hdr_len + type_off + type_len]
    params: dict[int, list[str]] = {}
    pos, tid = 0, 1
    while pos < len(blob):
        info = struct.unpack_from("<I", blob, pos + 4)[0]
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        body = pos + 12
        if kind == 13:                                  # FUNC_PROTO: vlen × (name_off, type)
            params[tid] = [btf.string(struct.unpack_from("<I", blob, body + 8 * i)[0])
                           for i in range(vlen)]
        size = {1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen, 14: 4,
                15: 12 * vlen, 17: 4, 19: 16 * vlen}.get(kind, 0)
        pos = body + size
        tid += 1
    return [(t.name, params.get(t.size_or_type, [])) for t in btf.types[1:]
            if t and t.kind == "FUNC"]


def test_func_proto_parameters_are_named(case) -> None:
    name, source, elf = case
    protos = dict(_func_protos(elf.section_data(".BTF")))
    for fname, params in protos.items():
        assert all(params), f"{fname}: unnamed parameter in {params}"
    for fname, fn in _functions(source).items():
        if fname in protos or fname in SECTIONS[name]:
            assert protos[fname] == [a.arg for a in fn.args.args], (fname, protos[fname])
    assert {f for f in protos if f not in _functions(source)} or not SUBPROGRAMS[name]


def test_maps_are_btf_defined_with_their_types(case) -> None:
    name, _source, elf = case
    btf = Btf(elf.section_data(".BTF"))
    maps_sec = btf.find("DATASEC", ".maps")
    if not EXPECTED_MAPS[name]:
        assert maps_sec is None and not elf.maps
        return
    assert maps_sec is not None
    in_sec = {btf.type(tid).name for _, tid, _ in maps_sec.members}
    assert in_sec == set(EXPECTED_MAPS[name])
    assert {m.name for m in elf.maps} == set(EXPECTED_MAPS[name])
    for mname, (key, value, mtype, entries) in EXPECTED_MAPS[name].items():
        d = btf.map_definition(mname)
        assert d["type"] == mtype, (mname, d)
        assert d["max_entries"] == entries, (mname, d)
        if key is not None:     # integer types appear under their C typedefs (__u32)
            got = tuple(str(d[k]).replace("__", "") for k in ("key", "value"))
            assert got == (key, value), (mname, d)


def test_license_sections_and_no_eh_frame(case) -> None:
    name, source, elf = case
    assert elf.license == ("Dual BSD/GPL" if name == "maps_and_calls.py" else "GPL")
    names = {s.name for s in ELFFile(io.BytesIO(elf.data)).iter_sections()}
    assert ".eh_frame" not in names and ".rel.eh_frame" not in names
    assert {".BTF", ".BTF.ext", "license"} <= names
    assert (".maps" in names) == bool(EXPECTED_MAPS[name])
    assert {p.name: s.name for p, s in elf.programs} == SECTIONS[name]
    text = elf.code_section(".text")
    # __ebpfpy_types_N: never-called carriers of struct types for the BTF (lower/module.py)
    subs = {f.name for f in text.functions
            if not f.name.startswith("__ebpfpy_types_")} if text is not None else set()
    assert {re.sub(r"\d+c\d+$", "", f) for f in subs} == SUBPROGRAMS[name], subs


def test_struct_types_reach_btf() -> None:
    elf = BpfElf(ebpfpy.compile(source=MAPS_AND_CALLS, filename="m.py", stop_after="obj"))
    btf = Btf(elf.section_data(".BTF"))
    point = btf.find("STRUCT", "Point")
    assert point is not None and point.size_or_type == 8
    assert [(n, btf.type_name(t), off) for n, t, off in point.members] == \
        [("x", "__u32", 0), ("y", "__i32", 32)]


# LLVM reports some backend failures as fatal errors that end the whole process (no
# CompileError, no traceback): build these in a subprocess so a regression fails one test.
BACKEND_FATAL = {
    # IndVarSimplify's closed form of the sum needed a 128-bit multiply (__multi3)
    "loop_sum": textwrap.dedent('''
        from ebpfpy import bpf_program, struct, u32, u64
        @struct
        class Args:
            n: u32
        total: u64 = 0
        @bpf_program("syscall")
        def run(ctx: Args) -> int:
            global total
            for i in range(min(ctx.n, 8)):
                total += i
            return 0
    '''),
    # each map access kept its own key/value stack slot: "BPF stack limit is exceeded"
    "many_map_ops": textwrap.dedent('''
        from ebpfpy import bpf_program, struct, HashMap, u32, u64
        @struct
        class Args:
            k: u32
            v: u64
        m = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx: Args) -> int:
    ''') + "".join(f"    m[ctx.k + {i}] += ctx.v\n    m[ctx.k] = m[ctx.k + {i}] | {i}\n"
                   for i in range(40)) + "    return 0\n",
}


@pytest.mark.parametrize("name", sorted(BACKEND_FATAL))
def test_backend_does_not_abort(name: str) -> None:
    import subprocess
    import sys
    code = ("import sys, ebpfpy; elf = ebpfpy.compile(source=sys.stdin.read(), "
            f"filename='{name}.py', stop_after='obj'); print(len(elf))")
    import os
    res = subprocess.run([sys.executable, "-c", code], input=BACKEND_FATAL[name],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "EBPFPY_NO_CACHE": "1"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert int(res.stdout) > 0
