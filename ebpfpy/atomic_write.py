"""Write a file whole or not at all, without following any name another user could plant.

Every file ebpfpy writes (``ebpfpy compile -o``, cache entries, scripts' reports) goes through
:func:`write_atomic`: the bytes go to a fresh temporary file with a random name, created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` in the target's directory (so a symlink or file planted at
any name is never opened), and the temporary file is then renamed over the target (``rename``
replaces a symlink at the target; it never writes through it).  On any failure, a full disk
included, the temporary file is removed and the target is left as it was.
"""
from __future__ import annotations

import errno
import os

_TRIES = 16                     # fresh random names tried before giving up (EEXIST each time)
_NAME_ROOM = 200                # of NAME_MAX (255), for the target's name inside the temp name


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o666,
                 dir_fd: int | None = None) -> None:
    """Replace ``path`` with a file holding exactly ``data``, atomically.

    ``mode`` is the new file's permission bits before the umask (``0o666``: as ``open()``
    makes files; the cache passes ``0o600``).  With ``dir_fd``, ``path`` is a name in that
    directory.  An ``OSError`` names ``path`` (not the temporary file), so it reads as
    ``path: No space left on device``.
    """
    path = os.fspath(path)
    if dir_fd is None:
        parent, name = os.path.split(path)
        if not name:
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        try:
            dfd = os.open(parent or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise OSError(e.errno, e.strerror, path) from None
        try:
            _write_in(dfd, name, path, data, mode)
        finally:
            os.close(dfd)
    else:
        _write_in(dir_fd, path, path, data, mode)


def _write_in(dfd: int, name: str, shown: str, data: bytes, mode: int) -> None:
    tmp, fd = _create_temp(dfd, name, shown, mode)
    try:
        with os.fdopen(fd, "wb") as f:         # the close flushes: ENOSPC may come from it
            f.write(data)
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException as e:                  # noqa: BLE001 - clean up, then re-raise
        try:
            os.unlink(tmp, dir_fd=dfd)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OSError(e.errno, e.strerror, shown) from None
        raise


def _create_temp(dfd: int, name: str, shown: str, mode: int) -> tuple[str, int]:
    """A new, empty temporary file beside ``name``: (its name, an fd open for writing)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(_TRIES):
        tmp = f".{name[:_NAME_ROOM]}.{os.urandom(6).hex()}.tmp"
        try:
            return tmp, os.open(tmp, flags, mode, dir_fd=dfd)
        except FileExistsError:
            continue
        except OSError as e:
            raise OSError(e.errno, e.strerror, shown) from None
    raise OSError(errno.EEXIST, "could not create a temporary file", shown)
