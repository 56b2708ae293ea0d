"""The compile cache trusts only what the current user made (issue 10 §2).

An entry planted by another uid, an entry or a directory writable by group or others, and a
symlink at the directory or at an entry's name are ignored: the compile still works and never
serves the planted bytes.  Entries are data (ELF + a JSON header), never pickles; a malformed
header is a miss, never an exception.  The tests that chown or setuid need root.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pickle
import random
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import cache, cache_format, pipeline
from ebpfpy.api import CompiledModule, compile_full

NOBODY = 65534
SRC = '''
from ebpfpy import bpf_program, HashMap, u32, u64, helpers

counts = HashMap(u32, u64, max_entries=16)

@bpf_program("xdp")
def prog(ctx) -> int:
    counts[u32(helpers.get_prandom_u32() & 7)] += 1
    return 2
'''
OPTIONS = {"insn_budget": None, "split": True}          # what compile_full keys on
POISON = b"\x7fELF planted by another user"
_RUN_PIPELINE = pipeline.run_pipeline

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown or setuid")


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("EBPFPY_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "code_is_current", lambda: True)
    return tmp_path / "ebpfpy"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = pipeline.run_pipeline

    def counting(text, filename, *a, **kw):
        calls.append(filename)
        return real(text, filename, *a, **kw)
    monkeypatch.setattr(pipeline, "run_pipeline", counting)
    return calls


def key() -> str:
    return cache.key(SRC, "m.py", OPTIONS)


@functools.lru_cache(maxsize=None)
def _real_module() -> CompiledModule:
    return _RUN_PIPELINE(SRC, "m.py")                     # not through the cache


def poisoned_entry() -> bytes:
    """A well-formed entry for SRC's key whose ELF is not SRC's object."""
    return cache_format.pack(key(), dataclasses.replace(_real_module(), elf=POISON))


class _Bomb:
    """Unpickling it creates the file ``path``: proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def old_pickle_entry(marker: Path) -> bytes:
    """An entry in the first cache format (a checksummed pickle) that creates ``marker``."""
    payload = pickle.dumps(_Bomb(marker))
    return b"ebpfpy-cache-1\n" + hashlib.sha256(payload).digest() + payload


def compiles_honestly(builds: list[str], times: int = 2) -> None:
    """Compile SRC ``times`` times: every result is a real object, never the planted one."""
    for _ in range(times):
        elf = ebpfpy.compile(source=SRC, filename="m.py")
        assert elf[:4] == b"\x7fELF" and elf != POISON


# ------------------------------------------------------------------------ the format
def test_entry_is_elf_and_json_with_no_pickle(cache_home, builds):
    mod = compile_full(source=SRC, filename="m.py")
    [entry] = cache_home.glob("*.entry")
    blob = entry.read_bytes()
    assert blob.startswith(cache_format.MAGIC)
    body = blob[len(cache_format.MAGIC) + 32:]
    n = int.from_bytes(body[:4], "little")
    header = json.loads(body[4:4 + n])                     # plain JSON, parsed
    assert body[4 + n:] == mod.elf                          # then the ELF, as is
    assert header["key"] == entry.stem and header["programs"] == {"prog": "xdp"}
    assert header["maps"]["counts"] == {"kind": "HashMap", "key": "u32", "value": "u64",
                                        "max_entries": 16}
    assert b"\x80\x04\x95" not in blob and b"\x80\x05\x95" not in blob     # pickle frames


RICH = '''
from ebpfpy import (bpf_program, struct, Array, HashMap, LruHashMap, PerCpuArray,
                    PerCpuHashMap, ProgArray, RingBuf, Timer, SpinLock, u8, u16, u32, u64, i32)

@struct
class Inner:
    a: u16
    b: u8[3][2]

@struct
class Outer:
    inner: Inner
    flag: bool
    many: Inner[2]

@struct
class Locked:
    t: Timer
    lock: SpinLock
    n: u64

h = HashMap(Inner, Outer, max_entries=8)
pc = PerCpuHashMap(u32, i32, max_entries=4)
lru = LruHashMap(u64, Locked, max_entries=4)
arr = Array(u8[16], 2, mmapable=True)
pca = PerCpuArray(u64, 1)
jumps = ProgArray(max_entries=2)
events = RingBuf(size_bytes=4096, event=Outer)
raw = RingBuf(size_bytes=4096)

@bpf_program("xdp")
def prog(ctx) -> int:
    k = Inner()
    v = h.lookup(k)
    if v is not None:
        v.flag = True
    for i in range(1000000):
        pca[0] += 1
    return 2
'''


def test_every_type_round_trips_with_struct_identity(cache_home, builds):
    first = compile_full(source=RICH, filename="rich.py")
    again = compile_full(source=RICH, filename="rich.py")
    assert builds == ["rich.py"]
    assert (again.elf, again.filename, again.source) == (first.elf, first.filename, first.source)
    assert again.structs == first.structs and list(again.structs) == list(first.structs)
    assert [(f.name, repr(f.type), f.offset) for f in again.structs["Outer"].fields] == \
        [(f.name, repr(f.type), f.offset) for f in first.structs["Outer"].fields]
    assert {n: repr(m) for n, m in again.maps.items()} == {n: repr(m) for n, m in first.maps.items()}
    assert again.maps == first.maps and again.events == first.events
    assert again.programs == first.programs and again.report == first.report
    assert any("bpf_loop" in row.split for row in again.report.rows)
    s = again.structs
    assert again.maps["h"].key is s["Inner"] and again.maps["h"].value is s["Outer"]
    assert s["Outer"].by_name["inner"].type is s["Inner"]
    assert again.events == {"events": s["Outer"], "raw": None}
    assert again.maps["pc"].value is ebpfpy.i32
    assert s["Locked"].by_name["t"].type is ebpfpy.Timer


def _reframe(header: object, elf: bytes) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = len(text).to_bytes(4, "little") + text + elf
    return cache_format.MAGIC + hashlib.sha256(body).digest() + body


def _mutations(header: dict) -> list[object]:
    """Damaged headers with a valid checksum: each must be refused."""
    out: list[object] = [None, [], "x", 7, {}]
    for field in header:
        out.append({k: v for k, v in header.items() if k != field})      # missing
        for bad in (None, 1, True, "s", [], {}, [[1, 2]], {"a": "u32"}, 1.5):
            out.append({**header, field: bad})
    kinds = [("maps", "counts", "kind", "Bogus"), ("maps", "counts", "key", "u128"),
             ("maps", "counts", "max_entries", -1), ("maps", "counts", "max_entries", True),
             ("maps", "counts", "value", {"struct": "Nowhere"}),
             ("maps", "counts", "value", {"array": "u8", "length": 0}),
             ("maps", "counts", "value", {"array": None, "length": 2}),
             ("maps", "counts", "value", {"array": "u8", "length": 2, "x": 1})]
    for top, name, field, bad in kinds:
        h = json.loads(json.dumps(header))
        h[top][name][field] = bad
        out.append(h)
    h = json.loads(json.dumps(header))
    h["structs"] = [["A", [["x", {"struct": "B"}]]], ["B", [["y", "u32"]]]]      # forward
    out.append(h)
    h = json.loads(json.dumps(header))
    h["structs"] = [["A", [["x", "u32"], ["x", "u8"]]]]                             # duplicate
    out.append(h)
    h = json.loads(json.dumps(header))
    h["report"] = [{"name": [1]}]
    out.append(h)
    for depth in (500, 100_000):                          # nested past the recursion limit
        deep = '{"array":' * depth + '"u8"' + ',"length":1}' * depth
        h = json.loads(json.dumps(header))
        h["events"] = {"e": "DEEP"}
        out.append(json.dumps(h).replace('"DEEP"', deep).encode())
    return out


def test_malformed_entries_are_misses_never_exceptions(cache_home, builds):
    good = ebpfpy.compile(source=SRC, filename="m.py")
    [entry] = cache_home.glob("*.entry")
    k = entry.stem
    blob = entry.read_bytes()
    body = blob[len(cache_format.MAGIC) + 32:]
    n = int.from_bytes(body[:4], "little")
    header, elf = json.loads(body[4:4 + n]), body[4 + n:]
    assert cache_format.unpack(k, _reframe(header, elf)).elf == good
    bad_blobs = [_reframe(h, elf) for h in _mutations(header)]
    bad_blobs.append(_reframe(header, b"not an elf"))
    bad_blobs.append(_reframe({**header, "key": "0" * 64}, elf))
    bad_blobs.append(blob[:len(cache_format.MAGIC) + 32] + (10**9).to_bytes(4, "little") + body[4:])
    rng = random.Random(10)
    for _ in range(200):                                  # random byte damage, re-checksummed
        b = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        bad_blobs.append(cache_format.MAGIC + hashlib.sha256(bytes(b)).digest() + bytes(b))
    for bad in bad_blobs:
        try:
            mod = cache_format.unpack(k, bad)
        except (ValueError, RecursionError):
            pass
        else:                     # damage only inside strings can still be a valid entry
            assert mod.elf[:4] == b"\x7fELF"
        entry.write_bytes(bad)
        os.chmod(entry, 0o600)
        got = cache.get(k)
        assert got is None or got.elf[:4] == b"\x7fELF"
    entry.write_bytes(bad_blobs[0])
    assert ebpfpy.compile(source=SRC, filename="m.py") == good


def test_entry_copied_under_another_key_is_a_miss(cache_home, builds):
    ebpfpy.compile(source=SRC, filename="m.py")
    [entry] = cache_home.glob("*.entry")
    other = cache.key(SRC, "other.py", OPTIONS)
    shutil.copy(entry, cache_home / f"{other}.entry")
    assert cache.get(other) is None
    ebpfpy.compile(source=SRC, filename="other.py")
    assert builds == ["m.py", "other.py"]


def test_old_pickle_layout_is_never_read_and_pruned(cache_home, builds, tmp_path):
    marker = tmp_path / "pickle-ran"
    k = key()
    old = cache_home / k[:2] / (k[2:] + ".bin")
    old.parent.mkdir(parents=True, mode=0o700)
    old.write_bytes(old_pickle_entry(marker))
    compiles_honestly(builds)
    assert not marker.exists() and len(builds) == 1
    cache.prune()
    assert not old.parent.exists() and not marker.exists()
    assert len(list(cache_home.glob("*.entry"))) == 1


# ------------------------------------------------------------ ownership and modes
def test_cache_directory_is_made_0700(cache_home, builds):
    ebpfpy.compile(source=SRC, filename="m.py")
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    [entry] = cache_home.glob("*.entry")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_a_private_directory_of_ours_is_tightened_to_0700(cache_home, builds):
    cache_home.mkdir(mode=0o755)
    os.chmod(cache_home, 0o755)
    compiles_honestly(builds)
    assert builds == ["m.py"]
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777], ids=oct)
def test_group_or_other_writable_directory_is_not_used(cache_home, builds, mode):
    cache_home.mkdir()
    (cache_home / f"{key()}.entry").write_bytes(poisoned_entry())
    os.chmod(cache_home / f"{key()}.entry", 0o600)
    os.chmod(cache_home, mode)
    builds.clear()
    compiles_honestly(builds, 3)
    assert len(builds) == 3                               # neither read nor written
    assert stat.S_IMODE(cache_home.stat().st_mode) == mode
    assert [p.name for p in cache_home.iterdir()] == [f"{key()}.entry"]


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666], ids=oct)
def test_group_or_other_writable_entry_is_ignored_and_replaced(cache_home, builds, mode):
    cache_home.mkdir(mode=0o700)
    entry = cache_home / f"{key()}.entry"
    entry.write_bytes(poisoned_entry())
    os.chmod(entry, mode)
    builds.clear()
    compiles_honestly(builds)
    assert len(builds) == 1                               # rebuilt once, then a trusted hit
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_symlinked_cache_directory_is_not_used(cache_home, builds, tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    (real / f"{key()}.entry").write_bytes(poisoned_entry())
    os.chmod(real / f"{key()}.entry", 0o600)
    cache_home.symlink_to(real)
    builds.clear()
    compiles_honestly(builds)
    assert len(builds) == 2
    assert [p.name for p in real.iterdir()] == [f"{key()}.entry"]


def test_symlink_at_an_entry_name_is_never_followed(cache_home, builds, tmp_path):
    cache_home.mkdir(mode=0o700)
    target = tmp_path / "target"
    target.write_bytes(poisoned_entry())
    os.chmod(target, 0o600)
    entry = cache_home / f"{key()}.entry"
    entry.symlink_to(target)
    builds.clear()
    compiles_honestly(builds)
    assert len(builds) == 1
    assert not entry.is_symlink() and entry.is_file()     # replaced, not written through
    assert target.read_bytes() == poisoned_entry()


def test_fifo_at_an_entry_name_does_not_hang(cache_home, builds):
    cache_home.mkdir(mode=0o700)
    os.mkfifo(cache_home / f"{key()}.entry", 0o600)
    compiles_honestly(builds)
    assert len(builds) == 1


@needs_root
def test_entry_owned_by_another_uid_is_ignored_and_replaced(cache_home, builds):
    cache_home.mkdir(mode=0o700)
    entry = cache_home / f"{key()}.entry"
    entry.write_bytes(poisoned_entry())
    os.chmod(entry, 0o600)
    os.chown(entry, NOBODY, NOBODY)
    builds.clear()
    compiles_honestly(builds)
    assert len(builds) == 1
    assert entry.stat().st_uid == os.geteuid()


@needs_root
def test_entries_planted_by_another_uid_in_a_shared_cache_home(monkeypatch, builds):
    """The attack of issue 10: a world-writable XDG_CACHE_HOME (sticky, like /tmp); another
    user makes ``ebpfpy/`` there first and plants a pickle (old layout) and a poisoned entry.
    Root's compile must run nothing, serve nothing planted, and still work."""
    shared = Path(tempfile.mkdtemp(prefix="ebpfpy-cache-trust-"))
    try:
        os.chmod(shared, 0o1777)
        marker = shared / "pickle-ran"
        k = key()

        planted = {f"{k[:2]}/{k[2:]}.bin": old_pickle_entry(marker), f"{k}.entry": poisoned_entry()}
        _as_nobody(shared / "ebpfpy", planted)
        assert (shared / "ebpfpy").stat().st_uid == NOBODY
        monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
        monkeypatch.delenv("EBPFPY_NO_CACHE", raising=False)
        monkeypatch.setattr(cache, "code_is_current", lambda: True)
        builds.clear()
        compiles_honestly(builds)
        assert len(builds) == 2 and not marker.exists()
        for rel, data in planted.items():                  # untouched, and nothing added
            assert (shared / "ebpfpy" / rel).read_bytes() == data
        assert sorted(p.name for p in (shared / "ebpfpy").iterdir()) == sorted(
            [k[:2], f"{k}.entry"])
    finally:
        shutil.rmtree(shared)


def _as_nobody(directory: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` under ``directory`` from a child process running as uid/gid nobody."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.umask(0o022)
            directory.mkdir(mode=0o755)
            for rel, data in files.items():
                p = directory / rel
                p.parent.mkdir(mode=0o755, exist_ok=True)
                p.write_bytes(data)
                os.chmod(p, 0o644)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert status == 0, "the child running as nobody failed"


def test_a_hit_in_a_fresh_process_loads_neither_pickle_nor_llvmlite(tmp_path):
    src = tmp_path / "m.py"
    src.write_text(SRC)
    code = ("import sys, ebpfpy, ebpfpy.cache; ebpfpy.cache.code_is_current = lambda: True\n"
            "assert ebpfpy.compile(sys.argv[1])[:4] == b'\\x7fELF'\n"
            "print(sorted(m for m in ('pickle', '_pickle', 'llvmlite') if m in sys.modules))")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("EBPFPY_NO_CACHE", None)
    outs = [subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True,
                           env=env, timeout=120, check=True).stdout for _ in range(2)]
    assert outs == ["['llvmlite']\n", "[]\n"]             # built, then served from the cache


@needs_root
@pytest.mark.parametrize("missing", ["", "cache-home/"])
def test_root_makes_no_cache_directory_in_another_users_home(monkeypatch, builds, missing):
    """``sudo -E``: HOME is the user's; a root-owned directory there would lock the user out."""
    home = Path(tempfile.mkdtemp(prefix="ebpfpy-cache-home-"))
    try:
        os.chown(home, NOBODY, NOBODY)
        monkeypatch.setenv("XDG_CACHE_HOME", str(home / missing))
        monkeypatch.delenv("EBPFPY_NO_CACHE", raising=False)
        monkeypatch.setattr(cache, "code_is_current", lambda: True)
        compiles_honestly(builds)
        assert len(builds) == 2 and list(home.iterdir()) == []
    finally:
        shutil.rmtree(home)
