"""``ebpfpy compile``'s client of the per-user compile server (:mod:`ebpfpy.compile_server`).

A CLI compile that starts Python, imports llvmlite (a 178 MB library whose static
initialisers alone cost ~35 ms of CPU) and the compiler costs 3-4x a whole clang process; the
compile itself is a few ms.  So the command hands the file to a server that keeps all of that
loaded: the server starts on first use (this client waits for it), serves every later compile
of this installation, and exits when idle (``EBPFPY_SERVER_IDLE`` seconds, default 300).

The client stays small: it imports the protocol module and nothing of the compiler.  Whenever
the server cannot answer (none can be started, the socket is not ours, it crashed mid-request,
it runs older code than the files on disk) :func:`compile_file` returns None and the caller
compiles in its own process, so the result never depends on the server.
``EBPFPY_NO_SERVER=1`` (or ``EBPFPY_DEBUG``, which wants the in-process traceback) turns the
server off.
"""
from __future__ import annotations

import _socket
import fcntl
import os
import select
import sys

from . import compile_protocol as proto

START_TIMEOUT = 30.0         # seconds to wait for a new server to listen
REPLY_TIMEOUT = 600.0        # seconds for one compile (the forked code generation's limit)


class RemoteCompileError(Exception):
    """The server's compile error, as the CLI prints it (a CompileError's text)."""


def enabled() -> bool:
    """False when ``EBPFPY_NO_SERVER`` is set to anything but ``""``/``0``, or ``EBPFPY_DEBUG``."""
    return os.environ.get("EBPFPY_NO_SERVER", "") in ("", "0") and not os.environ.get("EBPFPY_DEBUG")


def compile_file(path: str) -> bytes | None:
    """FILE's ELF from the server; None when the server cannot answer (compile here then).

    Raises :class:`RemoteCompileError` when the server reports a compile error.
    """
    if not enabled():
        return None
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:
        return None               # the in-process compile reports it, as it always did
    sock = connect(start=True)
    if sock is None:
        return None
    try:
        sock.settimeout(REPLY_TIMEOUT)
        proto.send_frames(sock, [proto.MAGIC, proto.installation(),
                                 os.fsencode(path), source, proto.pack_env(dict(os.environ))])
        status, payload = proto.recv_frames(sock, 2)
    except (OSError, proto.ProtocolError):
        return None               # the server died or hung up: compile here
    finally:
        sock.close()
    if status == proto.OK:
        return payload
    if status == proto.ERROR:
        raise RemoteCompileError(payload.decode(errors="replace"))
    return None                   # RETRY: stale code, or a failure the client reproduces


def connect(start: bool = True) -> _socket.socket | None:
    """A connection to this installation's server (started when ``start`` and none runs)."""
    rundir = proto.runtime_dir()
    if rundir is None:
        return None
    path = os.path.join(rundir, proto.socket_name())
    sock = _try_connect(path)
    if sock is not None or not start:
        return sock
    return _start_and_connect(rundir, path)


def _try_connect(path: str) -> _socket.socket | None:
    if not proto.socket_is_ours(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
        if proto.peer_uid(sock) == os.geteuid():
            return sock
    except OSError:
        pass
    sock.close()
    return None


def _start_and_connect(rundir: str, path: str) -> _socket.socket | None:
    """Start a server unless another client just did (one at a time: a lock file), and wait
    until it listens."""
    try:
        lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = _try_connect(path)       # started while this client waited for the lock
        if sock is None and _spawn_server(path):
            sock = _try_connect(path)
        return sock
    except OSError:
        return None
    finally:
        os.close(lock)


def _spawn_server(path: str) -> bool:
    """Start ``python -m ebpfpy.compile_server PATH`` in a session of its own; True once it
    says it listens (a byte on a pipe), False when it exits or does not say so in time."""
    ready_r, ready_w = os.pipe()
    env = dict(os.environ)
    # the server must import this very copy of the package (it checks, and refuses others)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    try:
        os.set_inheritable(ready_w, True)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            os.posix_spawn(sys.executable,
                           [sys.executable, "-m", "ebpfpy.compile_server", path, str(ready_w)],
                           env, setsid=True,
                           file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                         (os.POSIX_SPAWN_DUP2, devnull, 1),
                                         (os.POSIX_SPAWN_DUP2, devnull, 2)])
        finally:
            os.close(devnull)
        os.close(ready_w)
        ready_w = -1
        readable, _, _ = select.select([ready_r], [], [], START_TIMEOUT)
        return bool(readable) and os.read(ready_r, 1) == b"1"
    except OSError:
        return False
    finally:
        os.close(ready_r)
        if ready_w >= 0:
            os.close(ready_w)


def server_pid() -> int | None:
    """The running server's process id (for measuring its CPU time); None when none runs."""
    sock = connect(start=False)
    if sock is None:
        return None
    try:
        return proto.peer_pid(sock)
    finally:
        sock.close()
