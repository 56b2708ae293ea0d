"""The compiled-object cache (ebpfpy/cache.py): hits, misses on any change, corruption recovery."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import cache, pipeline
from ebpfpy.api import compile_full

SRC = '''
from ebpfpy import bpf_program, HashMap, u32, u64, helpers

counts = HashMap(u32, u64, max_entries=16)

@bpf_program("xdp")
def prog(ctx) -> int:
    counts[u32(helpers.get_prandom_u32() & 7)] += 1
    return 2
'''


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, enabled cache; returns the directory entries go to."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("EBPFPY_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "code_is_current", lambda: True)   # others may be editing the tree
    return tmp_path / "ebpfpy"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts real compilations: one entry (the file name) per pipeline run."""
    calls: list[str] = []
    real = pipeline.run_pipeline

    def counting(text, filename, *a, **kw):
        calls.append(filename)
        return real(text, filename, *a, **kw)
    monkeypatch.setattr(pipeline, "run_pipeline", counting)
    return calls


def entries(root: Path) -> list[Path]:
    return sorted(root.glob("*.entry")) if root.exists() else []


def test_second_compile_is_a_hit_with_identical_bytes(cache_home, builds):
    a = ebpfpy.compile(source=SRC, filename="m.py")
    b = ebpfpy.compile(source=SRC, filename="m.py")
    assert a == b and a[:4] == b"\x7fELF"
    assert builds == ["m.py"]
    assert len(entries(cache_home)) == 1


def test_hit_keeps_the_loader_metadata(cache_home, builds):
    first = compile_full(source=SRC, filename="m.py")
    again = compile_full(source=SRC, filename="m.py")
    assert builds == ["m.py"]
    assert again.elf == first.elf and again.source == SRC and again.filename == "m.py"
    assert again.programs == {"prog": "xdp"}
    assert repr(again.maps["counts"]) == repr(first.maps["counts"])
    assert again.maps["counts"].key is ebpfpy.u32        # type singletons survive


def test_file_path_is_cached_and_invalidated_by_an_edit(cache_home, builds, tmp_path):
    f = tmp_path / "prog.py"
    f.write_text(SRC)
    ebpfpy.compile(f)
    ebpfpy.compile(f)
    assert len(builds) == 1
    f.write_text(SRC.replace("& 7", "& 3"))
    ebpfpy.compile(f)
    assert len(builds) == 2


@pytest.mark.parametrize("change", ["source", "filename", "insn_budget"])
def test_any_input_change_is_a_miss(cache_home, builds, change):
    ebpfpy.compile(source=SRC, filename="m.py")
    kw = {"source": SRC, "filename": "m.py"}
    if change == "source":
        kw["source"] = SRC + "\n# a comment changes line info nowhere, but the text\n"
    elif change == "filename":
        kw["filename"] = "other.py"
    else:
        kw["insn_budget"] = 500_000
    ebpfpy.compile(**kw)
    assert len(builds) == 2
    assert len(entries(cache_home)) == 2


def test_compiler_change_is_a_miss(cache_home, builds, monkeypatch):
    ebpfpy.compile(source=SRC, filename="m.py")
    monkeypatch.setattr(cache, "_fingerprint", "a different compiler")
    ebpfpy.compile(source=SRC, filename="m.py")
    assert len(builds) == 2


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_entry_is_rebuilt_and_replaced(cache_home, builds, damage):
    good = ebpfpy.compile(source=SRC, filename="m.py")
    [entry] = entries(cache_home)
    blob = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        entry.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry at all")
    else:
        entry.write_bytes(b"")
    assert ebpfpy.compile(source=SRC, filename="m.py") == good
    assert len(builds) == 2
    assert entry.read_bytes() == blob                      # rewritten whole
    assert ebpfpy.compile(source=SRC, filename="m.py") == good
    assert len(builds) == 2


def test_no_cache_env_disables(cache_home, builds, monkeypatch):
    monkeypatch.setenv("EBPFPY_NO_CACHE", "1")
    ebpfpy.compile(source=SRC, filename="m.py")
    ebpfpy.compile(source=SRC, filename="m.py")
    assert len(builds) == 2
    assert entries(cache_home) == []


def test_compile_errors_are_not_cached(cache_home, builds):
    bad = SRC.replace("return 2", "return undefined_name")
    for _ in range(2):
        with pytest.raises(ebpfpy.CompileError):
            ebpfpy.compile(source=bad, filename="bad.py")
    assert len(builds) == 2
    assert entries(cache_home) == []


def test_other_stages_bypass_the_cache(cache_home, builds):
    ir = ebpfpy.compile(source=SRC, filename="m.py", stop_after="ir")
    assert "define" in str(ir)
    assert entries(cache_home) == []


def test_unwritable_cache_dir_still_compiles(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("EBPFPY_NO_CACHE", raising=False)
    assert ebpfpy.compile(source=SRC, filename="m.py")[:4] == b"\x7fELF"


def test_concurrent_writers_leave_one_valid_entry(cache_home, tmp_path):
    f = tmp_path / "prog.py"
    f.write_text(SRC)
    code = ("import ebpfpy, ebpfpy.cache, sys; ebpfpy.cache.code_is_current = lambda: True; "
            "sys.stdout.buffer.write(ebpfpy.compile(sys.argv[1]))")
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home.parent))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(f)], stdout=subprocess.PIPE, env=env)
             for _ in range(6)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1 and outs[0][:4] == b"\x7fELF"
    [entry] = entries(cache_home)
    assert not list(cache_home.glob("*.tmp")) and not list(cache_home.glob(".*"))
    assert cache.get(entry.stem).elf == outs[0]


def test_prune_drops_least_recently_used_first(cache_home, builds):
    ebpfpy.compile(source=SRC, filename="old.py")
    ebpfpy.compile(source=SRC.replace("& 7", "& 3"), filename="new.py")
    paths = entries(cache_home)
    assert len(paths) == 2
    for p in paths:
        os.utime(p, (1000, 1000))
    ebpfpy.compile(source=SRC, filename="old.py")            # a hit: now the most recent
    assert len(builds) == 2
    cache.prune(max_bytes=max(p.stat().st_size for p in paths))
    [kept] = entries(cache_home)
    assert kept.stat().st_mtime > 1000
    ebpfpy.compile(source=SRC, filename="old.py")
    assert len(builds) == 2                                    # still cached
    ebpfpy.compile(source=SRC.replace("& 7", "& 3"), filename="new.py")
    assert len(builds) == 3                                    # pruned


def test_prune_removes_stale_temporary_files(cache_home):
    ebpfpy.compile(source=SRC, filename="m.py")
    [entry] = entries(cache_home)
    tmp = entry.with_name(f".{entry.name}.0123456789ab.tmp")
    tmp.write_bytes(b"half")
    os.utime(tmp, (1000, 1000))
    cache.prune()
    assert not tmp.exists() and entry.exists()


def test_a_process_older_than_the_compiler_files_does_not_store(cache_home, builds, monkeypatch):
    monkeypatch.setattr(cache, "code_is_current", lambda: False)
    ebpfpy.compile(source=SRC, filename="m.py")
    ebpfpy.compile(source=SRC, filename="m.py")
    assert len(builds) == 2
    assert entries(cache_home) == []


def test_code_is_current_compares_file_times_with_the_process_start(monkeypatch):
    start = cache._process_start()
    assert 0 < start <= __import__("time").time()
    newest = max(st.st_mtime for _, st in cache._compiler_files())
    monkeypatch.setattr(cache, "_process_start", lambda: newest + 10)
    assert cache.code_is_current()
    monkeypatch.setattr(cache, "_process_start", lambda: newest - 10)
    assert not cache.code_is_current()


def test_allocated_object_types_are_cached(cache_home, builds):
    """Kptr fields, tree and list roots and nodes have an encoding: a program that
    allocates is cached, and the types come back equal (the loader decodes values with them)."""
    src = (Path(__file__).resolve().parents[1] / "examples" / "alloc_topk.py").read_text()
    src += ("\n@struct\nclass Item:\n    link: ListNode\n    key: u64\n\n"
            "@struct\nclass Holder:\n    lock: SpinLock\n    items: ListHead[Item, \"link\"]\n"
            "    one: Kptr[Item]\n\nholders = Array(Holder, 1)\n")
    src = src.replace("from ebpfpy import (", "from ebpfpy import (Kptr, ListHead, ListNode, ")
    first = compile_full(source=src, filename="topk.py")
    again = compile_full(source=src, filename="topk.py")
    assert builds == ["topk.py"] and len(entries(cache_home)) == 1
    for name in ("top", "holders"):
        assert again.maps[name].value == first.maps[name].value
    holder = again.maps["holders"].value
    assert [repr(f.type) for f in holder.fields] == \
        ["SpinLock", "ListHead[Item, 'link']", "Kptr[Item]"]
