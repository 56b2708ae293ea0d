"""``atomic_write.write_atomic``: whole or nothing, no symlink followed, nothing left behind."""
from __future__ import annotations

import errno
import os
import resource
import stat
from pathlib import Path

import pytest

from ebpfpy import atomic_write
from ebpfpy.atomic_write import write_atomic


def names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_writes_the_bytes_with_open_like_permissions(tmp_path: Path) -> None:
    out = tmp_path / "x.o"
    old = os.umask(0o022)
    try:
        write_atomic(out, b"data")
        write_atomic(tmp_path / "private", b"p", mode=0o600)
    finally:
        os.umask(old)
    assert out.read_bytes() == b"data" and stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    assert names(tmp_path) == ["private", "x.o"]


def test_replaces_a_symlink_at_the_target_instead_of_writing_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    out = tmp_path / "out.o"
    out.symlink_to(victim)
    write_atomic(out, b"new")
    assert victim.read_bytes() == b"precious"
    assert not out.is_symlink() and out.read_bytes() == b"new"


def test_never_follows_a_symlink_at_a_temporary_name(tmp_path: Path, monkeypatch) -> None:
    """The temp name is random; make it predictable and plant links at the first tries."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    draws = iter([b"\x00" * 6, b"\x01" * 6, b"\x02" * 6])
    monkeypatch.setattr(atomic_write.os, "urandom", lambda n: next(draws))
    for fill in ("00", "01"):
        (tmp_path / f".out.o.{fill * 6}.tmp").symlink_to(victim)
    (tmp_path / "out.o.tmp").symlink_to(victim)               # the old predictable name
    write_atomic(tmp_path / "out.o", b"new")
    assert victim.read_bytes() == b"precious"
    assert (tmp_path / "out.o").read_bytes() == b"new"
    assert names(tmp_path) == sorted([".out.o.000000000000.tmp", ".out.o.010101010101.tmp",
                                      "out.o", "out.o.tmp", "victim"])


def test_gives_up_cleanly_when_every_temporary_name_is_taken(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(atomic_write.os, "urandom", lambda n: b"\x00" * n)
    (tmp_path / ".out.o.000000000000.tmp").symlink_to(tmp_path / "victim")
    with pytest.raises(OSError) as e:
        write_atomic(tmp_path / "out.o", b"new")
    assert e.value.errno == errno.EEXIST and e.value.filename == str(tmp_path / "out.o")
    assert not (tmp_path / "victim").exists() and not (tmp_path / "out.o").exists()


def test_a_directory_target_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep").write_text("k")
    for target in (tmp_path / "d", f"{tmp_path}/nowhere/"):
        with pytest.raises(OSError) as e:
            write_atomic(target, b"x")
        assert e.value.errno == errno.EISDIR and e.value.filename == str(target)
    assert names(tmp_path) == ["d"] and names(tmp_path / "d") == ["keep"]


def test_missing_directory_names_the_target(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        write_atomic(tmp_path / "no" / "x.o", b"x")
    assert e.value.filename == str(tmp_path / "no" / "x.o")


def test_file_size_limit_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes write() fail with EFBIG half way (Python ignores SIGXFSZ)."""
    out = tmp_path / "x.o"
    out.write_bytes(b"old")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
            write_atomic(out, b"y" * 100_000)
        except OSError as e:
            code = 0 if e.errno == errno.EFBIG and e.filename == str(out) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert out.read_bytes() == b"old" and names(tmp_path) == ["x.o"]


def test_relative_to_a_directory_fd(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        write_atomic("e", b"1", mode=0o600, dir_fd=fd)
    finally:
        os.close(fd)
    assert (tmp_path / "e").read_bytes() == b"1"
