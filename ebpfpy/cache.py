"""A content-hash cache of compiled objects, so ``load()``/``compile()`` of an unchanged file is
a file read instead of a compilation (and the CLI need not import llvmlite at all).

The key hashes everything the output depends on: the source text, the file name (it is in the
debug info and the error messages), the options, the compiler itself (version and a fingerprint
of its own files, so an edited or upgraded compiler never serves stale objects), llvmlite's
build, and the running kernel (tracepoint contexts come from its tracefs formats, ``tp_btf``
and ``fentry`` argument types from its BTF).

Entries live under ``$XDG_CACHE_HOME/ebpfpy`` (or ``~/.cache/ebpfpy``), one file per key, and
hold data only (``cache_format``: the ELF bytes and a JSON header that is parsed, never
executed).  Every input of the key is public, so the cache trusts nothing it did not make
itself: the directory must be a real directory owned by the current user and not writable by
group or others (it is created, or tightened, to mode 0700, and created only inside a directory
of ours or root's; otherwise the cache is off for the process), and an entry is read only if it is a regular file owned by the current user and not
writable by group or others, opened relative to the checked directory without following
symlinks.  So root with a shared ``XDG_CACHE_HOME`` or ``sudo -E``'s ``HOME`` ignores a
directory or entries planted by another user, as pip and ccache do.

Writers go through ``atomic_write`` (a private temporary file renamed into place), so
concurrent writers and readers only ever see whole entries.  An entry that is truncated,
corrupt, of another format or of another key is removed and counts as a miss.  Compile errors
are never cached, and neither is the output of a process started before a compiler file last
changed (it may be running the old code).  ``EBPFPY_NO_CACHE=1`` disables the cache; a
directory that cannot be written only disables storing.  The cache keeps itself under
``MAX_BYTES`` (256 MiB), dropping the least recently used entries.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import time
from typing import Any, Callable

from .compiled import CompiledModule
from .atomic_write import write_atomic
from .cache_format import pack, unpack
from .version import __version__


def enabled() -> bool:
    """False when ``EBPFPY_NO_CACHE`` is set to anything but ``""``/``0``."""
    return os.environ.get("EBPFPY_NO_CACHE", "") in ("", "0")


def cache_dir() -> str:
    """``$XDG_CACHE_HOME/ebpfpy``, else ``~/.cache/ebpfpy``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ebpfpy")


_fingerprint: str | None = None


def _compiler_files() -> list[tuple[str, os.stat_result]]:
    """The compiler's own source files (relative name, stat): all of ebpfpy but the loader."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    out = []
    for root, dirs, files in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "loader", "testing"))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                out.append((os.path.relpath(path, pkg), os.stat(path)))
    return out


def compiler_fingerprint() -> str:
    """The compiler's version and its own files (name, size, mtime), and llvmlite's library.

    Costs a few dozen ``stat`` calls once per process; it imports nothing.
    """
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(__version__.encode())
        for rel, st in _compiler_files():
            h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        h.update(_llvmlite_id().encode())
        u = os.uname()
        h.update(f"{u.release} {u.version} {u.machine}".encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def _process_start() -> float:
    """When this process started (wall-clock seconds), from /proc; 0.0 when unknown."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])     # field 22
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def code_is_current() -> bool:
    """False when a compiler file changed after this process started: the code this process
    runs may then not be the code the fingerprint describes, so it must not store entries
    (a tree being edited while a long test run compiles)."""
    start = _process_start()
    return start > 0.0 and all(st.st_mtime < start - 1.0 for _, st in _compiler_files())


def _llvmlite_id() -> str:
    """llvmlite's shared library (path, size, mtime), found without importing llvmlite."""
    spec = importlib.util.find_spec("llvmlite")
    if spec is None or not spec.submodule_search_locations:
        return "no-llvmlite"
    pkg = list(spec.submodule_search_locations)[0]
    try:
        libdir = os.path.join(pkg, "binding")
        lib = next(f for f in sorted(os.listdir(libdir)) if f.startswith("libllvmlite"))
        st = os.stat(os.path.join(libdir, lib))
        return f"{pkg}/{lib}:{st.st_size}:{st.st_mtime_ns}"
    except (OSError, StopIteration):
        return pkg


def key(text: str, filename: str, options: dict[str, Any]) -> str:
    """The cache key of compiling ``text`` as ``filename`` with ``options``."""
    h = hashlib.sha256()
    for part in (compiler_fingerprint(), filename, repr(sorted(options.items())), text):
        b = part.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


_SUFFIX = ".entry"
_TMP_SUFFIX = ".tmp"             # atomic_write's temporary files
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _trusted(st: os.stat_result, kind: int) -> bool:
    """A file of type ``kind`` that only the current user can have written."""
    return stat.S_IFMT(st.st_mode) == kind and st.st_uid == os.geteuid() and \
        not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_dir(create: bool) -> int | None:
    """An fd of the cache directory, made if ``create``; None when absent or not trusted.

    Everything after this works relative to the fd, so the directory checked is the one used
    even if its path is renamed or replaced meanwhile."""
    path = cache_dir()
    try:
        if create and _may_create(path):
            os.makedirs(path, mode=0o700, exist_ok=True)
        fd = os.open(path, _DIR_FLAGS)          # a symlink at the last component: refused
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if _trusted(st, stat.S_IFDIR):
            if st.st_mode & 0o077:
                os.fchmod(fd, 0o700)            # ours, writable only by us: make it private
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _may_create(path: str) -> bool:
    """Whether to make the cache directory: only inside a directory of ours or root's, so that
    root under ``sudo -E`` does not leave a root-owned directory in the user's home (the user
    could not remove it, and would then have no cache)."""
    while True:
        try:
            return os.stat(path).st_uid in (os.geteuid(), 0)
        except FileNotFoundError:
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent


def _name(k: str) -> str:
    return k + _SUFFIX


def _read_entry(dfd: int, name: str) -> bytes | None:
    """The bytes of a trusted entry ``name``, or None (absent, not ours, not a file)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not _trusted(st, stat.S_IFREG) or st.st_size > MAX_BYTES:
            return None
        try:
            return f.read()
        except OSError:
            return None


def get(k: str) -> CompiledModule | None:
    """The module stored under ``k``, or None (absent, untrusted, unreadable or corrupt: then
    removed, so that the rebuilt entry takes its place)."""
    dfd = _open_dir(create=False)
    if dfd is None:
        return None
    try:
        name = _name(k)
        blob = _read_entry(dfd, name)
        if blob is not None:
            try:
                value = unpack(k, blob)
            except (ValueError, RecursionError):    # damaged or another format: a miss
                pass
            else:
                _touch(dfd, name)                   # recently used: the last to be pruned
                return value
        _remove(dfd, name)
        return None
    finally:
        os.close(dfd)


def put(k: str, value: CompiledModule) -> None:
    """Store ``value`` under ``k`` atomically; failures to write are ignored (a cache)."""
    try:
        blob = pack(k, value)
    except ValueError:           # a type with no encoding: simply not cached
        return
    dfd = _open_dir(create=True)
    if dfd is None:
        return
    try:
        write_atomic(_name(k), blob, mode=0o600, dir_fd=dfd)
        if int.from_bytes(os.urandom(1), "little") < 256 // PRUNE_EVERY:
            _prune_in(dfd, MAX_BYTES)
    except OSError:
        pass
    finally:
        os.close(dfd)


MAX_BYTES = 256 << 20            # the cache's size bound
PRUNE_EVERY = 32                 # about one store in this many checks the bound


def prune(max_bytes: int | None = None) -> None:
    """Remove the least recently used entries until the cache holds at most ``max_bytes``
    (and leftover temporary files of writers that died, and the old layout's subdirectories).
    Races with other processes only make it remove a little more or less."""
    dfd = _open_dir(create=False)
    if dfd is None:
        return
    try:
        _prune_in(dfd, MAX_BYTES if max_bytes is None else max_bytes)
    finally:
        os.close(dfd)


def _prune_in(dfd: int, limit: int) -> None:
    entries = []
    try:
        with os.scandir(dfd) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and e.name.endswith((_SUFFIX, _TMP_SUFFIX)):
                    entries.append((st.st_mtime, st.st_size, e.name))
                elif stat.S_ISDIR(st.st_mode) and len(e.name) == 2:
                    _remove_old_layout(dfd, e.name)
    except OSError:
        return
    now = time.time()
    total = sum(size for _, size, _ in entries)
    for mtime, size, name in sorted(entries):
        stale_tmp = name.endswith(_TMP_SUFFIX) and now - mtime > 3600
        if total <= limit and not stale_tmp:
            continue
        _remove(dfd, name)
        total -= size


def _remove_old_layout(dfd: int, sub: str) -> None:
    """Empty and remove a subdirectory of the first layout (``ab/cdef….bin`` pickles)."""
    try:
        fd = os.open(sub, _DIR_FLAGS, dir_fd=dfd)
    except OSError:
        return
    try:
        with os.scandir(fd) as it:
            for e in it:
                if e.name.endswith((".bin", ".tmp")) and e.is_file(follow_symlinks=False):
                    _remove(fd, e.name)
        os.rmdir(sub, dir_fd=dfd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _touch(dfd: int, name: str) -> None:
    try:
        os.utime(name, dir_fd=dfd, follow_symlinks=False)
    except OSError:
        pass


def _remove(dfd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dfd)
    except OSError:
        pass


def cached(text: str, filename: str, options: dict[str, Any],
           build: Callable[[], CompiledModule]) -> CompiledModule:
    """``build()``'s result for these inputs, from the cache when there, else built and stored."""
    if not enabled():
        return build()
    k = key(text, filename, options)
    value = get(k)
    if value is None:
        value = build()
        if code_is_current():
            put(k, value)
    return value
