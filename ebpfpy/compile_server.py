"""The per-user compile server behind ``ebpfpy compile`` (started by :mod:`ebpfpy.compile_client`).

``python -m ebpfpy.compile_server SOCKET READY_FD``: loads the compiler and LLVM once, listens
on SOCKET (mode 0600 in the user's 0700 directory, see :mod:`ebpfpy.compile_protocol`), writes
``1`` to READY_FD, then compiles one request at a time (concurrent clients queue on the
socket's backlog: the work is CPU-bound and LLVM's options are process-wide).  It answers only
its own user (``SO_PEERCRED``) and only clients of its own installation, and it exits

* when no request came for ``EBPFPY_SERVER_IDLE`` seconds (default 300);
* when one of the compiler's files, or llvmlite's library, changed since it started: it then
  runs older code than the files on disk, so it answers ``retry`` and the client compiles in
  its own process (the next client starts a fresh server).

A request is compiled exactly as the client's own ``compile_full`` would: the same source
bytes and file name, and the client's cache settings (the forwarded environment).
"""
from __future__ import annotations

import os
import signal
import socket
import sys

from . import cache, compile_protocol as proto
from .api import compile_full
from .errors import CompileError
from .lower.target import target_machine
from .model.source import decode_source

DEFAULT_IDLE = 300.0           # seconds without a request before the server exits
REQUEST_TIMEOUT = 10.0         # seconds a connected client has to send its whole request
BACKLOG = 64


def idle_timeout() -> float:
    """``EBPFPY_SERVER_IDLE`` seconds (a positive number), else DEFAULT_IDLE."""
    try:
        value = float(os.environ.get("EBPFPY_SERVER_IDLE", ""))
    except ValueError:
        return DEFAULT_IDLE
    return value if value > 0 else DEFAULT_IDLE


class Server:
    """A listening socket at ``path`` and what the server checks on every request."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.identity = proto.installation()
        self.llvmlite = cache._llvmlite_id()
        tmp = f"{path}.{os.getpid()}.tmp"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.lexists(tmp):
            os.unlink(tmp)
        self.sock.bind(tmp)
        os.chmod(tmp, 0o600)
        self.sock.listen(BACKLOG)
        st = os.lstat(tmp)
        self.inode = (st.st_dev, st.st_ino)
        os.rename(tmp, path)     # atomically replaces a stale socket (the client holds the lock)

    def current(self) -> bool:
        """The code this process runs is still the code on disk (else it must not answer)."""
        return cache.code_is_current() and cache._llvmlite_id() == self.llvmlite

    def serve(self, idle: float) -> None:
        """Answer requests until idle for ``idle`` seconds or stale."""
        self.sock.settimeout(idle)
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                return
            with conn:
                if not self.answer(conn):
                    return

    def answer(self, conn: socket.socket) -> bool:
        """Read one request and reply; False when the server must stop (stale code)."""
        try:
            if proto.peer_uid(conn) != os.geteuid():
                return True                        # another user: no reply at all
            conn.settimeout(REQUEST_TIMEOUT)
            magic, identity, name, source, env = proto.recv_frames(conn, 5)
            if magic != proto.MAGIC or identity != self.identity:
                proto.send_frames(conn, [proto.RETRY, b"another installation's server"])
                return True
            if not self.current():
                proto.send_frames(conn, [proto.RETRY, b"the compiler changed on disk"])
                return False
            conn.settimeout(None)
            proto.send_frames(conn, compile_request(os.fsdecode(name), source,
                                                    proto.unpack_env(env)))
        except (OSError, proto.ProtocolError):
            pass                                   # the client went away; it falls back
        return True

    def close(self) -> None:
        """Stop listening; remove the socket file unless a newer server replaced it."""
        self.sock.close()
        try:
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == self.inode:
                os.unlink(self.path)
        except OSError:
            pass


def compile_request(name: str, source: bytes, env: dict[str, str]) -> list[bytes]:
    """The reply frames for one compile, run under the client's compile environment."""
    saved = {k: os.environ.get(k) for k in proto.FORWARDED_ENV}
    try:
        for k in proto.FORWARDED_ENV:
            if k in env:
                os.environ[k] = env[k]
            else:
                os.environ.pop(k, None)
        text = decode_source(source, name)
        return [proto.OK, compile_full(source=text, filename=name).elf]
    except CompileError as e:
        return [proto.ERROR, str(e).encode(errors="replace")]
    except Exception as e:      # noqa: BLE001 - the client reproduces it in its own process
        return [proto.RETRY, f"{type(e).__name__}: {e}".encode(errors="replace")]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str]) -> int:
    """Entry point: ``SOCKET READY_FD``."""
    path, ready_fd = argv[0], int(argv[1])
    # hold none of the first client's descriptors (a pipe its parent waits on would never
    # reach end-of-file while the server lives)
    os.closerange(3, ready_fd)
    os.closerange(ready_fd + 1, os.sysconf("SC_OPEN_MAX"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))     # clean up the socket file too
    target_machine()                     # load LLVM and make the target before listening
    server = Server(path)
    try:
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        os.chdir("/")                    # hold no directory of the user's
        server.serve(idle_timeout())
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
