"""What the ``ebpfpy compile`` client and the per-user compile server share: where the socket
lives, the checks that make it ours, and the wire format.

The socket lives in a directory only the user can enter: ``$XDG_RUNTIME_DIR/ebpfpy`` when the
runtime directory is the user's own, else ``/tmp/ebpfpy-UID``; either is created with mode
0700 and used only if it is a real directory owned by the user that no one else can enter (as
the cache checks its directory).  Each installation (interpreter prefix and package directory)
has its own socket, so two checkouts never share a server.  Both sides check the peer's user
with ``SO_PEERCRED``.

Messages are data only (no pickle, nothing evaluated): a sequence of frames, each a 4-byte
big-endian length and that many bytes.  A request is ``MAGIC, installation, file name, source bytes, the
environment that affects compilation``; a reply is ``status, payload`` with status ``ok``
(payload: the ELF), ``error`` (payload: the compile error as the CLI prints it) or ``retry``
(payload: why; the client then compiles in its own process).

Imports only what the client needs (its start-up time is the point of the server).
"""
from __future__ import annotations

import _socket       # the C module: ``socket``'s wrapper costs the client ~4 ms of start-up
import os
import stat
import sys
import zlib

MAGIC = b"ebpfpy-compile/1"
OK, ERROR, RETRY = b"ok", b"error", b"retry"
# The environment the compilation reads (cache switch and location, the fork switch).
FORWARDED_ENV = ("EBPFPY_NO_CACHE", "EBPFPY_NO_FORK", "XDG_CACHE_HOME", "HOME")
MAX_FRAME = 1 << 28               # 256 MiB: far beyond any source or object


class ProtocolError(Exception):
    """The peer sent something that is not a whole, well-formed message."""


def runtime_dir(create: bool = True) -> str | None:
    """The user's private directory for the socket; None when it is not safe to use."""
    uid = os.geteuid()
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and _private_dir(xdg, uid):
        path = os.path.join(xdg, "ebpfpy")
    else:
        path = os.path.join("/tmp", f"ebpfpy-{uid}")
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    return path if _private_dir(path, uid) else None


def _private_dir(path: str, uid: int) -> bool:
    """A real directory (not a symlink) owned by ``uid`` that group and others cannot use."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077


def installation() -> bytes:
    """What identifies this copy of ebpfpy: the interpreter's prefix and version, the package
    directory.  The server compares the client's with its own on every request."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    return f"{sys.prefix}\0{sys.version}\0{pkg}".encode(errors="surrogateescape")


def socket_name() -> str:
    """This installation's socket file name: one server per interpreter and package copy."""
    ident = installation()
    # a short name (sun_path holds 108 bytes); zlib, not hashlib: cheaper to import, and a
    # collision only costs a retry (the server checks the whole identity)
    return f"compile-{zlib.crc32(ident):08x}{zlib.adler32(ident):08x}.sock"


def socket_is_ours(path: str) -> bool:
    """``path`` is a socket owned by this user (not a file or link someone else planted)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_uid == os.geteuid()


def peer_uid(sock: _socket.socket) -> int:
    """The user id of the process at the other end of a connected unix socket."""
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder)


def peer_pid(sock: _socket.socket) -> int:
    """The process id at the other end of a connected unix socket."""
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[0:4], sys.byteorder)


def send_frames(sock: _socket.socket, frames: list[bytes]) -> None:
    """Send each frame with its length."""
    sock.sendall(b"".join(len(f).to_bytes(4, "big") + f for f in frames))


def recv_frames(sock: _socket.socket, count: int) -> list[bytes]:
    """Read exactly ``count`` frames; :class:`ProtocolError` when the peer stops early."""
    return [_recv_exact(sock, _frame_length(sock)) for _ in range(count)]


def _frame_length(sock: _socket.socket) -> int:
    n = int.from_bytes(_recv_exact(sock, 4), "big")
    if n > MAX_FRAME:
        raise ProtocolError(f"a frame of {n} bytes")
    return n


def _recv_exact(sock: _socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ProtocolError("the peer closed the connection mid-message")
        buf += chunk
    return bytes(buf)


def pack_env(env: dict[str, str]) -> bytes:
    """The forwarded variables that are set, as ``NAME=VALUE`` lines joined by NUL."""
    return b"\0".join(f"{k}={env[k]}".encode(errors="surrogateescape")
                      for k in FORWARDED_ENV if k in env)


def unpack_env(data: bytes) -> dict[str, str]:
    """:func:`pack_env`'s variables (only names in FORWARDED_ENV are accepted)."""
    out: dict[str, str] = {}
    for item in data.split(b"\0") if data else []:
        name, eq, value = item.decode(errors="surrogateescape").partition("=")
        if not eq or name not in FORWARDED_ENV:
            raise ProtocolError(f"unexpected environment entry {name!r}")
        out[name] = value
    return out
