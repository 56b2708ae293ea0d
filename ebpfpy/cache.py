"""A content-hash cache of compiled objects, so ``load()``/``compile()`` of an unchanged file is
a file read instead of a compilation (and the CLI need not import llvmlite at all).

The key hashes everything the output depends on: the source text, the file name (it is in the
debug info and the error messages), the options, the compiler itself (version and a fingerprint
of its own files, so an edited or upgraded compiler never serves stale objects), llvmlite's
build, and the running kernel (tracepoint contexts come from its tracefs formats, ``tp_btf``
and ``fentry`` argument types from its BTF).

Entries live under ``$XDG_CACHE_HOME/ebpfpy`` (or ``~/.cache/ebpfpy``), one file per key.  A
writer writes a private temporary file and renames it into place, so concurrent writers and
readers only ever see whole entries.  Each entry carries a checksum of its payload; an entry
that is truncated, corrupt or unreadable is removed and counts as a miss.  Compile errors are
never cached, and neither is the output of a process started before a compiler file last
changed (it may be running the old code).  ``EBPFPY_NO_CACHE=1`` disables the cache; a directory that cannot be written
only disables storing.  The cache keeps itself under ``MAX_BYTES`` (256 MiB), dropping the
least recently used entries.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from typing import Any, Callable

_MAGIC = b"ebpfpy-cache-1\n"
_DIGEST = 32                     # sha256 of the payload, after the magic


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
        from . import __version__
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
        import time
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
    import importlib.util
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


def _path(k: str) -> str:
    return os.path.join(cache_dir(), k[:2], k[2:] + ".bin")


def get(k: str) -> Any:
    """The value stored under ``k``, or None (absent, unreadable or corrupt: then removed)."""
    path = _path(k)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    head = len(_MAGIC) + _DIGEST
    payload = blob[head:]
    if blob[:len(_MAGIC)] == _MAGIC and blob[len(_MAGIC):head] == hashlib.sha256(payload).digest():
        try:
            value = pickle.loads(payload)
        except Exception:        # noqa: BLE001 - a stale or damaged entry is only a miss
            pass
        else:
            _touch(path)         # recently used: the last to be pruned
            return value
    _remove(path)
    return None


def put(k: str, value: Any) -> None:
    """Store ``value`` under ``k`` atomically; failures to write are ignored (a cache)."""
    path = _path(k)
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:            # noqa: BLE001 - not picklable: simply not cached
        return
    tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)    # atomic: readers see the old entry or the whole new one
    except OSError:
        _remove(tmp)
        return
    if int.from_bytes(os.urandom(1), "little") < 256 // PRUNE_EVERY:
        prune()


MAX_BYTES = 256 << 20            # the cache's size bound
PRUNE_EVERY = 32                 # about one store in this many checks the bound


def prune(max_bytes: int | None = None) -> None:
    """Remove the least recently used entries until the cache holds at most ``max_bytes``
    (and leftover temporary files of writers that died).  Races with other processes only
    make it remove a little more or less."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    entries = []
    try:
        with os.scandir(cache_dir()) as top:
            subdirs = [d.path for d in top if d.is_dir(follow_symlinks=False)]
        for sub in subdirs:
            with os.scandir(sub) as it:
                for e in it:
                    st = e.stat(follow_symlinks=False)
                    entries.append((st.st_mtime, st.st_size, e.path))
    except OSError:
        return
    import time
    now = time.time()
    total = sum(size for _, size, _ in entries)
    for mtime, size, path in sorted(entries):
        stale_tmp = path.endswith(".tmp") and now - mtime > 3600
        if total <= limit and not stale_tmp:
            continue
        _remove(path)
        total -= size


def _touch(path: str) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def cached(text: str, filename: str, options: dict[str, Any], build: Callable[[], Any]) -> Any:
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
