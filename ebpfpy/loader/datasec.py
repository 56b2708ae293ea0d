"""Global variables (``total: u64 = 0``) read and written from userspace as ``obj.globals.total``.

Globals live in libbpf's internal ``.bss``/``.data``/``.rodata`` array maps.  Those maps are
created ``BPF_F_MMAPABLE``, so after load we mmap the map fd ourselves: reads and writes go
straight to the memory the programs use.  (``bpf_map__initial_value`` is the live memory only on
newer libbpf; 1.1 remaps it for skeletons alone, so it would be a stale copy here.)  Without
mmap support they go through a lookup/update of element 0.  ``.rodata`` is frozen by libbpf at
load time and read-only here.

Threads: a read or write of one global is a single copy to or from the mapped memory, which
BPF programs use concurrently; nothing makes ``g.x += 1`` atomic.  Values set are checked by
:mod:`ebpfpy.codec` (``OverflowError``/``TypeError``/``ValueError``), never wrapped.
"""
from __future__ import annotations

import mmap
from typing import Any, Iterator

from .. import libbpf as L
from ..codec import encode
from ..libbpf import ffi, lib
from .btf import GlobalVar


class Section:
    """One DATASEC map: byte access to its single value."""

    def __init__(self, name: str, fd: int, size: int, flags: int) -> None:
        self.name, self.fd, self.size = name, fd, size
        self.writable = not name.startswith((".rodata", ".kconfig"))
        self._mem: mmap.mmap | None = None
        if flags & L.BPF_F_MMAPABLE and size:
            prot = mmap.PROT_READ | (mmap.PROT_WRITE if self.writable else 0)
            try:
                self._mem = mmap.mmap(fd, size, mmap.MAP_SHARED, prot)
            except OSError:
                self._mem = None                # fall back to lookup/update

    def read(self, off: int, size: int) -> bytes:
        """``size`` bytes at ``off``."""
        if self.fd < 0:
            raise ValueError(f"section {self.name} is closed")
        if self._mem is not None:
            return bytes(self._mem[off:off + size])
        key, val = ffi.new("__u32 *", 0), ffi.new("char[]", self.size)
        rc = lib.bpf_map_lookup_elem(self.fd, key, val)
        if rc < 0:
            raise L.os_error(-rc, f"read of {self.name}")
        return bytes(ffi.buffer(val, self.size))[off:off + size]

    def write(self, off: int, data: bytes) -> None:
        """Store ``data`` at ``off``."""
        if self.fd < 0:
            raise ValueError(f"section {self.name} is closed")
        if self.name.startswith(".kconfig"):
            raise AttributeError("Kconfig globals are set by libbpf from the running kernel "
                                 "at load and frozen")
        if not self.writable:
            raise AttributeError(f"globals in {self.name} (Const) are frozen at load: set them "
                                 f"with ebpfpy.load(..., config=...) or ebpfpy.open()")
        if self._mem is not None:
            self._mem[off:off + len(data)] = data
            return
        cur = bytearray(self.read(0, self.size))
        cur[off:off + len(data)] = data
        rc = lib.bpf_map_update_elem(self.fd, ffi.new("__u32 *", 0), ffi.from_buffer(bytes(cur)),
                                     L.BPF_ANY)
        if rc < 0:
            raise L.os_error(-rc, f"write of {self.name}")

    def release(self) -> None:
        """Unmap (idempotent; ``BpfObject.close`` calls it)."""
        if self._mem is not None:
            self._mem.close()
        self._mem = None
        self.fd = -1


class Globals:
    """The module's global variables as attributes (also ``g["name"]``, iteration, ``dict(g)``)."""

    def __init__(self, variables: dict[str, tuple[GlobalVar, Section]]) -> None:
        object.__setattr__(self, "_vars", variables)

    def _var(self, name: str) -> tuple[GlobalVar, Section]:
        try:
            return self._vars[name]
        except KeyError:
            known = ", ".join(sorted(self._vars)) or "none"
            raise AttributeError(f"no global variable {name!r} (globals: {known})") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        var, sec = self._var(name)
        return var.type.unpack(sec.read(var.offset, var.type.size))

    def __setattr__(self, name: str, value: Any) -> None:
        var, sec = self._var(name)
        sec.write(var.offset, encode(var.type, value, f"global {name!r}"))

    __getitem__ = __getattr__
    __setitem__ = __setattr__

    def __contains__(self, name: object) -> bool:
        return name in self._vars

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def keys(self) -> list[str]:
        """The global variables' names."""
        return list(self._vars)

    def items(self) -> list[tuple[str, Any]]:
        """``(name, value)`` pairs, read now."""
        return [(n, getattr(self, n)) for n in self._vars]

    def types(self) -> dict[str, Any]:
        """Each global's :mod:`ebpfpy.types` type."""
        return {n: v.type for n, (v, _) in self._vars.items()}

    def __dir__(self) -> list[str]:
        return list(self._vars)

    def __repr__(self) -> str:
        try:
            body = ", ".join(f"{n}={v!r}" for n, v in self.items())
        except (ValueError, OSError):
            body = "closed"
        return f"Globals({body})"
