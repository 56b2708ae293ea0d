"""Userspace views of BPF maps that behave like ``dict`` (LANGUAGE.md §7).

Keys and values are packed and unpacked with the types of :mod:`ebpfpy.types` and go through
libbpf's low-level ``bpf_map_*_elem`` calls on the map fd, which exist in every libbpf.
Per-CPU maps hold one value per *possible* CPU, each slot rounded up to 8 bytes (the kernel's
``round_up(value_size, 8)``).  Ring buffers live in :mod:`ebpfpy.loader.ringbuf`.

Every value set from Python is checked by :mod:`ebpfpy.codec`, never wrapped.

Threads: each map operation is one ``bpf()`` call on the kernel's map, which the kernel makes
atomic per element, so several threads may read and write the same map (and BPF programs
may run meanwhile).  Multi-call operations -- ``len``, ``keys``, ``items``, ``clear``,
``pop`` -- are snapshots, not atomic.  Do not close the object while another thread still
uses its maps: operations after ``close()`` raise ``ValueError``, but one racing with it may
see ``OSError`` (a closed fd).  NumPy views from :meth:`Array.view` stay valid after close.
"""
from __future__ import annotations

import errno
import mmap
import os
from typing import Any, Iterator

from ..types import ArrayType, BpfType, IntType, u64
from .. import libbpf as L
from ..codec import check, encode
from ..libbpf import ffi, lib
from .fdinfo import kernel_id
from .mmap_view import array_view

_MISSING = object()


class Map:
    """A BPF map seen as a ``dict``: ``m[k]``, ``m[k] = v``, ``del m[k]``, ``k in m``, ``len(m)``.

    ``m[k]`` and ``del m[k]`` raise ``KeyError`` when ``k`` is absent; iteration order is the
    kernel's.  ``key_type``/``value_type`` are the codecs used for keys and values.
    """

    def __init__(self, name: str, fd: int, map_type: int, key_type: BpfType, value_type: BpfType,
                 key_size: int, value_size: int, max_entries: int, flags: int) -> None:
        self.name, self.fd, self.map_type = name, fd, map_type
        self.key_type, self.value_type = key_type, value_type
        self.key_size, self.value_size = key_size, value_size
        self.max_entries, self.flags = max_entries, flags

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.name!r} {self.key_type!r} -> "
                f"{self.value_type!r} max_entries={self.max_entries}>")

    @property
    def id(self) -> int:
        """The kernel's id of the map (what ``bpftool map`` lists), from the fd's
        ``/proc/self/fdinfo`` entry."""
        return kernel_id(self.fd, "map_id", f"map {self.name!r}")

    # ----------------------------------------------------------- codecs
    def release(self) -> None:
        """Forget the fd: the object closed it (``BpfObject.close`` calls this)."""
        self.fd = -1

    def _key(self, key: Any) -> Any:
        if self.fd < 0:
            raise ValueError(f"map {self.name!r} belongs to a closed object")
        data = encode(self.key_type, key, f"map {self.name!r} key")
        if len(data) != self.key_size:
            raise TypeError(f"map {self.name!r}: key {key!r} packs to {len(data)} bytes, "
                            f"expected {self.key_size}")
        return ffi.from_buffer(data)

    def _value_buf(self) -> Any:
        return ffi.new("char[]", max(self.value_size, 1))

    def _pack_value(self, value: Any) -> bytes:
        return encode(self.value_type, value, f"map {self.name!r} value").ljust(
            self.value_size, b"\0")

    def _zero_value(self) -> bytes:
        return bytes(self.value_size)

    def _unpack_value(self, buf: Any) -> Any:
        return self.value_type.unpack(bytes(ffi.buffer(buf, self.value_size)))

    # ----------------------------------------------------------- raw operations
    def _lookup(self, key: Any) -> Any:
        buf = self._value_buf()
        rc = lib.bpf_map_lookup_elem(self.fd, self._key(key), buf)
        if rc < 0:
            if -rc == errno.ENOENT:
                return _MISSING
            raise L.os_error(-rc, f"lookup in map {self.name!r}")
        return buf

    def _update(self, key: Any, data: bytes, flags: int = L.BPF_ANY,
                refused: int | None = None) -> bool:
        """Write; False when the kernel answers ``refused`` (the flag's condition failed)."""
        rc = lib.bpf_map_update_elem(self.fd, self._key(key), ffi.from_buffer(data), flags)
        if refused is not None and -rc == refused:
            return False
        if rc < 0:
            if -rc == errno.E2BIG:
                raise KeyError(f"map {self.name!r} is full ({self.max_entries} entries)")
            if -rc == errno.EINVAL and isinstance(self.key_type, IntType) and \
                    self.map_type in _ARRAYS and not 0 <= key < self.max_entries:
                raise KeyError(key)
            raise L.os_error(-rc, f"update of map {self.name!r}")
        return True

    def _raw_keys(self) -> Iterator[bytes]:
        if self.fd < 0:
            raise ValueError(f"map {self.name!r} belongs to a closed object")
        prev, nxt = ffi.NULL, ffi.new("char[]", max(self.key_size, 1))
        while lib.bpf_map_get_next_key(self.fd, prev, nxt) == 0:
            key = bytes(ffi.buffer(nxt, self.key_size))
            yield key
            prev = ffi.from_buffer(key)

    # ----------------------------------------------------------- dict protocol
    def __getitem__(self, key: Any) -> Any:
        buf = self._lookup(key)
        if buf is _MISSING:
            raise KeyError(key)
        return self._unpack_value(buf)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._update(key, self._pack_value(value))

    def insert(self, key: Any, value: Any) -> bool:
        """Store ``value`` only if ``key`` is absent (``BPF_NOEXIST``): True when stored, False
        when the key was present (nothing changed).  A full map raises ``KeyError``."""
        return self._update(key, self._pack_value(value), L.BPF_NOEXIST, errno.EEXIST)

    def replace(self, key: Any, value: Any) -> bool:
        """Store ``value`` only if ``key`` is present (``BPF_EXIST``): True when stored, False
        when the key was absent (nothing inserted)."""
        return self._update(key, self._pack_value(value), L.BPF_EXIST, errno.ENOENT)

    def __delitem__(self, key: Any) -> None:
        rc = lib.bpf_map_delete_elem(self.fd, self._key(key))
        if rc < 0:
            if -rc == errno.ENOENT:
                raise KeyError(key)
            raise L.os_error(-rc, f"delete from map {self.name!r}")

    def __contains__(self, key: Any) -> bool:
        try:
            check(self.key_type, key, "")
        except (TypeError, ValueError, OverflowError):
            return False                  # like dict: a key that cannot be there is not there
        return self._lookup(key) is not _MISSING

    def get(self, key: Any, default: Any = None) -> Any:
        """``m[key]`` if present, else ``default``."""
        buf = self._lookup(key)
        return default if buf is _MISSING else self._unpack_value(buf)

    def keys(self) -> list[Any]:
        """A snapshot of the keys (the map may change while you iterate)."""
        return [self.key_type.unpack(k) for k in self._raw_keys()]

    def values(self) -> list[Any]:
        """A snapshot of the values."""
        return [v for _, v in self.items()]

    def items(self) -> list[tuple[Any, Any]]:
        """A snapshot of ``(key, value)`` pairs; entries deleted meanwhile are skipped."""
        out = []
        for k in self.keys():
            buf = self._lookup(k)
            if buf is not _MISSING:
                out.append((k, self._unpack_value(buf)))
        return out

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return sum(1 for _ in self._raw_keys())

    def clear(self) -> None:
        """Delete every entry."""
        for k in self.keys():
            self.pop(k, None)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value (``default`` or ``KeyError`` when absent)."""
        val = self.get(key, _MISSING)
        if val is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        try:
            del self[key]
        except KeyError:
            pass
        return val


class HashMap(Map):
    """``BPF_MAP_TYPE_HASH`` and ``LRU_HASH``."""


class Array(Map):
    """``BPF_MAP_TYPE_ARRAY``: every index ``0 <= i < max_entries`` always exists.

    ``len`` is ``max_entries``; ``del m[i]`` resets the element to zero, since the kernel
    cannot remove array elements.  Mmapable arrays offer :meth:`view`.
    """

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self._mmaps: list[mmap.mmap] = []

    def insert(self, key: Any, value: Any) -> bool:
        """Arrays hold every index: there is nothing to insert (``TypeError``)."""
        raise TypeError(f"map {self.name!r} is an array: every index exists, so insert() and "
                        f"replace() do not apply; write m[i] = v")

    replace = insert

    def _check_index(self, key: Any) -> None:
        check(self.key_type, key, f"map {self.name!r} key")
        if not 0 <= key < self.max_entries:
            raise KeyError(key)

    def __getitem__(self, key: Any) -> Any:
        self._check_index(key)
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_index(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._check_index(key)
        self._update(key, self._zero_value())

    def __contains__(self, key: Any) -> bool:
        try:
            check(self.key_type, key, "")
        except (TypeError, ValueError, OverflowError):
            return False
        return 0 <= key < self.max_entries

    def keys(self) -> list[Any]:
        return list(range(self.max_entries))

    def __len__(self) -> int:
        return self.max_entries

    def view(self) -> Any:
        """A zero-copy NumPy array over the map memory (``Array(..., mmapable=True)`` only).

        Shape ``(max_entries, *value_shape)``; struct values give a structured dtype.  The
        array keeps the mapping alive; writes go straight to the map.
        """
        if self.fd < 0:
            raise ValueError(f"map {self.name!r} belongs to a closed object")
        if not self.flags & L.BPF_F_MMAPABLE:
            raise TypeError(f"map {self.name!r} is not mmapable: declare it with mmapable=True")
        arr, mm = array_view(self.fd, self.value_type, self.value_size, self.max_entries)
        self._mmaps.append(mm)
        return arr

    def release(self) -> None:
        """Unmap views that are no longer referenced (used by ``BpfObject.close``)."""
        for mm in self._mmaps:
            try:
                mm.close()
            except BufferError:      # a NumPy view still uses it: it stays valid until freed
                pass
        self._mmaps.clear()
        super().release()


class PerCpuMap(Map):
    """``PERCPU_ARRAY`` / ``PERCPU_HASH``: values are lists with one entry per possible CPU.

    Assigning a single value sets it on every CPU; assigning a list of ``ncpus`` values sets
    each CPU's own.
    """

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.ncpus = L.possible_cpus()
        self._slot = (self.value_size + 7) // 8 * 8

    def _value_buf(self) -> Any:
        return ffi.new("char[]", self._slot * self.ncpus)

    def _zero_value(self) -> bytes:
        return bytes(self._slot * self.ncpus)

    def _unpack_value(self, buf: Any) -> list[Any]:
        raw = bytes(ffi.buffer(buf, self._slot * self.ncpus))
        return [self.value_type.unpack(raw[i * self._slot:i * self._slot + self.value_size])
                for i in range(self.ncpus)]

    def _per_cpu(self, value: Any) -> bool:
        if not isinstance(value, (list, tuple)) or len(value) != self.ncpus:
            return False
        return not isinstance(self.value_type, ArrayType) or \
            all(isinstance(v, (list, tuple, bytes, bytearray)) for v in value)

    def _pack_value(self, value: Any) -> bytes:
        if self._per_cpu(value):
            vals = [encode(self.value_type, v, f"map {self.name!r} value[cpu {i}]")
                    for i, v in enumerate(value)]
        else:
            vals = [encode(self.value_type, value, f"map {self.name!r} value")] * self.ncpus
        return b"".join(v.ljust(self._slot, b"\0") for v in vals)


class PerCpuArray(PerCpuMap, Array):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``."""


class ProgArray(Array):
    """``BPF_MAP_TYPE_PROG_ARRAY``: ``m[i] = program`` (or a prog fd) fills a tail-call slot.

    Reading a slot gives the program's kernel id; ``del m[i]`` empties it.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_index(key)
        fd = getattr(value, "fd", value)
        if isinstance(fd, bool) or not isinstance(fd, int):
            raise TypeError(f"map {self.name!r} value: expected a Program or a program fd, "
                            f"got {type(value).__name__}")
        if not 0 <= fd <= 0x7FFFFFFF:
            raise OverflowError(f"map {self.name!r} value: fd {fd} is out of range "
                                f"(0..2147483647)")
        self._update(key, fd.to_bytes(4, "little"))

    def __getitem__(self, key: Any) -> Any:
        self._check_index(key)
        buf = self._lookup(key)
        if buf is _MISSING:
            raise KeyError(key)
        return int.from_bytes(bytes(ffi.buffer(buf, 4)), "little")

    def __contains__(self, key: Any) -> bool:
        return Array.__contains__(self, key) and self._lookup(key) is not _MISSING

    def __delitem__(self, key: Any) -> None:
        self._check_index(key)
        Map.__delitem__(self, key)

    def keys(self) -> list[Any]:
        return [k for k in range(self.max_entries) if k in self]

    def __len__(self) -> int:
        return self.max_entries


class StackTraceMap(Map):
    """``BPF_MAP_TYPE_STACK_TRACE``: ``m[stack_id]`` is the list of instruction addresses of
    that stack, innermost first (the kernel zero-fills past the last frame).

    BPF code fills it (``stacks.get_stackid``); userspace reads, iterates and deletes ids.
    :mod:`ebpfpy.symbols` turns the addresses into function names.
    """

    def __init__(self, name: str, fd: int, map_type: int, key_type: BpfType, value_type: BpfType,
                 key_size: int, value_size: int, max_entries: int, flags: int) -> None:
        super().__init__(name, fd, map_type, key_type, ArrayType(u64, value_size // 8),
                         key_size, value_size, max_entries, flags)

    def _unpack_value(self, buf: Any) -> Any:
        addrs = super()._unpack_value(buf)
        while addrs and addrs[-1] == 0:
            addrs.pop()
        return addrs

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(f"map {self.name!r}: stack trace maps are filled by BPF code "
                        f"(stacks.get_stackid), not from userspace")


class CgroupArray(Array):
    """``BPF_MAP_TYPE_CGROUP_ARRAY``: ``m[i] = "/sys/fs/cgroup/..."`` (a cgroup v2 directory,
    or an open fd of one) puts that cgroup in slot ``i``; ``del m[i]`` empties it.

    The kernel keeps a reference to the cgroup, not the fd, so the directory is opened just
    for the update.  Slots cannot be read back (the kernel refuses lookups from userspace):
    ``m[i]`` is ``TypeError``, ``i in m`` is False and iteration is empty.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_index(key)
        if isinstance(value, (str, bytes, os.PathLike)):
            try:
                fd = os.open(value, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as e:
                raise OSError(e.errno, f"map {self.name!r}: cannot open cgroup {value!r}: "
                                       f"{e.strerror}") from None
            try:
                self._update(key, fd.to_bytes(4, "little"))
            finally:
                os.close(fd)
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"map {self.name!r} value: expected a cgroup directory path or fd, "
                            f"got {type(value).__name__}")
        if not 0 <= value <= 0x7FFFFFFF:
            raise OverflowError(f"map {self.name!r} value: fd {value} is out of range")
        self._update(key, value.to_bytes(4, "little"))

    def __getitem__(self, key: Any) -> Any:
        raise TypeError(f"map {self.name!r}: cgroup array slots cannot be read from userspace")

    def __contains__(self, key: Any) -> bool:
        return False

    def __delitem__(self, key: Any) -> None:
        self._check_index(key)
        Map.__delitem__(self, key)

    def keys(self) -> list[Any]:
        return []

    def items(self) -> list[Any]:
        return []


_ARRAYS = {L.MAP_ARRAY, L.MAP_PERCPU_ARRAY, L.MAP_PROG_ARRAY, L.MAP_CGROUP_ARRAY}
_CLASSES: dict[int, type[Map]] = {
    L.MAP_HASH: HashMap, L.MAP_LRU_HASH: HashMap, L.MAP_ARRAY: Array,
    L.MAP_PERCPU_ARRAY: PerCpuArray, L.MAP_PERCPU_HASH: PerCpuMap,
    L.MAP_LRU_PERCPU_HASH: PerCpuMap, L.MAP_PROG_ARRAY: ProgArray,
    L.MAP_STACK_TRACE: StackTraceMap, L.MAP_CGROUP_ARRAY: CgroupArray,
}


def map_class(map_type: int) -> type[Map]:
    """The userspace class for a kernel map type (plain :class:`Map` for the others)."""
    return _CLASSES.get(map_type, Map)
