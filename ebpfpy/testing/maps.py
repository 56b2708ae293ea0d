"""In-memory maps with the kernel's semantics, seen from BPF code and from the test.

BPF code sees ``lookup`` (a live reference or None), ``update`` (fails when a hash map is full
or an array index is out of range), ``delete`` and atomic ``+=``.  The test sees a ``dict``-like
object that follows the loader's userspace API (LANGUAGE.md §7): ``m[k]`` and ``del m[k]`` of
an absent key raise ``KeyError``, values are copies, per-CPU maps give one value per CPU (the
simulator has one CPU).
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Callable, Iterator

from ..codec import decode_record
from ..map_kinds import MapKind
from ..types import ArrayType, BpfType, MapType, StructType
from .values import convert, copy, copy_into, from_user, pack, unpack, zero

E2BIG, ENOENT, EEXIST, EFAULT, EAGAIN, EOPNOTSUPP = 7, 2, 17, 14, 11, 95
BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2


class Cell:
    """A reference to a map value that is an integer: ``r.value`` reads and writes it."""

    __slots__ = ("box", "type")

    def __init__(self, box: list, t: BpfType) -> None:
        self.box, self.type = box, t

    @property
    def value(self) -> Any:
        return self.box[0]

    @value.setter
    def value(self, v: Any) -> None:
        self.box[0] = convert(v, None, self.type)


class SimMap:
    """A key/value map.  Keys are held by their C bytes, so struct keys work as in the kernel."""

    def __init__(self, name: str, mt: MapType) -> None:
        self.name, self.type = name, mt
        self.key_type: BpfType = mt.key          # type: ignore[assignment]
        self.value_type: BpfType = mt.value      # type: ignore[assignment]
        self.max_entries = mt.max_entries
        self.scalar = not isinstance(self.value_type, (StructType, ArrayType))
        self.data: "OrderedDict[bytes, Any]" = OrderedDict()

    # ---------------------------------------------------------------- BPF side
    def key_bytes(self, k: Any) -> bytes:
        return pack(self.key_type, from_user(self.key_type, k))

    def _slot(self, kb: bytes) -> Any:
        return self.data.get(kb)

    def lookup(self, k: Any) -> Any:
        """``bpf_map_lookup_elem``: a live reference (the struct/list itself, or a Cell)."""
        s = self._slot(self.key_bytes(k))
        if s is None:
            return None
        return Cell(s, self.value_type) if self.scalar else s

    def get_value(self, k: Any) -> Any:
        """The stored value itself (live), or None."""
        s = self._slot(self.key_bytes(k))
        if s is None:
            return None
        return s[0] if self.scalar else s

    def update(self, k: Any, v: Any, flags: int = BPF_ANY) -> int:
        """``bpf_map_update_elem``: 0 or a negative errno; the value is copied."""
        kb = self.key_bytes(k)
        s = self._slot(kb)
        if s is not None:
            if flags == BPF_NOEXIST:
                return -EEXIST
            if self.scalar:
                s[0] = convert(v, None, self.value_type)
            else:
                copy_into(self.value_type, s, v)
            return 0
        if flags == BPF_EXIST:
            return -ENOENT
        return self._insert(kb, v)

    def _insert(self, kb: bytes, v: Any) -> int:
        if len(self.data) >= self.max_entries:
            return -E2BIG
        self.data[kb] = [convert(v, None, self.value_type)] if self.scalar else copy(self.value_type, v)
        return 0

    def delete(self, k: Any) -> int:
        kb = self.key_bytes(k)
        if kb not in self.data:
            return -ENOENT
        del self.data[kb]
        return 0

    # ---------------------------------------------------------------- userspace side
    def _decode_key(self, kb: bytes) -> Any:
        return unpack(self.key_type, kb)

    def _user_value(self, s: Any) -> Any:
        # through the C layout, as the kernel copies a value out: kernel-owned objects
        # (Kptr fields, trees, lists) read as None
        return s[0] if self.scalar else unpack(self.value_type, pack(self.value_type, s))

    def __getitem__(self, k: Any) -> Any:
        s = self._slot(self.key_bytes(k))
        if s is None:
            raise KeyError(k)
        return self._user_value(s)

    def __setitem__(self, k: Any, v: Any) -> None:
        r = self.update(k, from_user(self.value_type, v))
        if r == -E2BIG:
            raise OverflowError(f"map {self.name} is full ({self.max_entries} entries)")
        if r:
            raise KeyError(k)

    def insert(self, k: Any, v: Any) -> bool:
        """Store only if ``k`` is absent (``BPF_NOEXIST``), as the loader's maps: True when
        stored, False when present."""
        if k in self:
            return False
        self[k] = v
        return True

    def replace(self, k: Any, v: Any) -> bool:
        """Store only if ``k`` is present (``BPF_EXIST``): True when stored, False when absent."""
        if k not in self:
            return False
        self[k] = v
        return True

    def __delitem__(self, k: Any) -> None:
        if self.delete(k):
            raise KeyError(k)

    def __contains__(self, k: Any) -> bool:
        return self._slot(self.key_bytes(k)) is not None

    def get(self, k: Any, default: Any = None) -> Any:
        s = self._slot(self.key_bytes(k))
        return default if s is None else self._user_value(s)

    def __len__(self) -> int:
        return len(self.data)

    def keys(self) -> Iterator[Any]:
        return (self._decode_key(kb) for kb in list(self.data))

    def values(self) -> Iterator[Any]:
        return (self._user_value(s) for s in list(self.data.values()))

    def items(self) -> Iterator[tuple[Any, Any]]:
        return ((self._decode_key(kb), self._user_value(s)) for kb, s in list(self.data.items()))

    __iter__ = keys

    def clear(self) -> None:
        self.data.clear()

    def __repr__(self) -> str:
        return f"<sim {self.type!r} {dict(self.items())!r}>"


class SimHashMap(SimMap):
    """``HashMap``: inserting past ``max_entries`` fails with -E2BIG."""


class SimLruHashMap(SimMap):
    """``LruHashMap``: a full map evicts the least recently used entry to insert."""

    def _slot(self, kb: bytes) -> Any:
        s = self.data.get(kb)
        if s is not None:
            self.data.move_to_end(kb)
        return s

    def _insert(self, kb: bytes, v: Any) -> int:
        if len(self.data) >= self.max_entries:
            self.data.popitem(last=False)
        return super()._insert(kb, v)


class SimArray(SimMap):
    """``Array``: every index below ``max_entries`` exists, zeroed; others are absent."""

    def __init__(self, name: str, mt: MapType) -> None:
        super().__init__(name, mt)
        for i in range(self.max_entries):
            self.data[self.key_bytes(i)] = [zero(self.value_type)] if self.scalar else zero(self.value_type)

    def _insert(self, kb: bytes, v: Any) -> int:
        return -E2BIG            # keys >= max_entries do not exist and cannot be created

    def insert(self, k: Any, v: Any) -> bool:
        """Arrays hold every index: ``TypeError``, as the loader's arrays."""
        raise TypeError(f"map {self.name!r} is an array: every index exists, so insert() and "
                        f"replace() do not apply; write m[i] = v")

    replace = insert

    def delete(self, k: Any) -> int:
        return -22               # EINVAL: array elements cannot be deleted

    def _decode_key(self, kb: bytes) -> Any:
        return int.from_bytes(kb, "little")


class _PerCpu:
    """Per-CPU maps with one CPU: BPF code sees the value; userspace a one-element list."""

    def _user_value(self, s: Any) -> Any:
        return [super()._user_value(s)]          # type: ignore[misc]

    def __setitem__(self, k: Any, v: Any) -> None:
        if isinstance(v, list) and not isinstance(self.value_type, ArrayType):  # type: ignore[attr-defined]
            v = v[0]
        super().__setitem__(k, v)                # type: ignore[misc]


class SimPerCpuArray(_PerCpu, SimArray):
    """``PerCpuArray`` on one CPU."""


class SimPerCpuHashMap(_PerCpu, SimHashMap):
    """``PerCpuHashMap`` on one CPU."""


class SimRingBuf:
    """``RingBuf``: every ``output`` is recorded (decoded to ``event`` when declared)."""

    def __init__(self, name: str, mt: MapType, event: BpfType | None) -> None:
        self.name, self.type, self.event = name, mt, event
        self.records: list[Any] = []
        self.max_entries = mt.max_entries

    def output(self, t: BpfType, v: Any, size: int | None = None) -> int:
        """Record ``v`` (its first ``size`` bytes when given), decoded as the loader does."""
        raw = pack(t, v)[:size]
        self.records.append(self._decode(raw))
        return 0

    def _decode(self, raw: bytes) -> Any:
        ev = self.event
        if isinstance(ev, StructType) and ev.flex is not None:
            if len(raw) < ev.flex.offset:             # the loader's rule: no head, no record
                return raw
            rec = unpack(ev, raw.ljust(ev.size, b"\0"))
            # the items that arrived, as the loader decodes them (bytes for Flex[u8, N])
            setattr(rec, ev.flex.name, ev.flex.type.unpack(raw[ev.flex.offset:]))
            return rec
        if ev is None or len(raw) >= ev.size:
            return unpack(ev, raw[:ev.size]) if ev is not None else raw
        short = decode_record(ev, raw)          # the loader's rule for a short record
        if isinstance(short, bytes):
            return short
        assert isinstance(ev, StructType), "only a struct's last field is cut"
        rec = unpack(ev, raw.ljust(ev.size, b"\0"))
        last = ev.fields[-1].name                 # decode_record cut this array field
        setattr(rec, last, short[last] if isinstance(short, dict) else getattr(short, last))
        return rec

    def reserve(self) -> Any:
        """``events.reserve()``: a zeroed record (the simulated ring never fills)."""
        if self.event is None:
            raise TypeError(f"{self.name}.reserve() needs RingBuf(..., event=T)")
        return zero(self.event)

    def release(self, rec: Any, submit: bool) -> None:
        """``events.submit(rec)`` records it; ``events.discard(rec)`` drops it."""
        if submit and self.event is not None:      # reserve() made rec, so event is set
            self.output(self.event, rec)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"<sim RingBuf {self.name}: {len(self.records)} records>"


class SimPerfEventArray(SimRingBuf):
    """``PerfEventArray``: every ``output(ctx, v)`` is recorded, as on one CPU whose buffer
    never fills (``lost`` stays 0)."""

    lost = 0

    def output_at(self, flags: int, cpu: int, t: BpfType, v: Any, size: int | None = None) -> int:
        """``perf_event_output`` with ``flags``: the current CPU's slot, or an index that
        must be the current CPU (the kernel's -EOPNOTSUPP otherwise)."""
        index = flags & 0xFFFFFFFF
        if index == 0xFFFFFFFF:
            index = cpu
        if index >= (self.max_entries or 1):     # 0 entries: one per CPU, and the sim has one
            return -E2BIG
        if index != cpu:
            return -EOPNOTSUPP
        return self.output(t, v, size)

    def __repr__(self) -> str:
        return f"<sim PerfEventArray {self.name}: {len(self.records)} records>"


class SimStackTraceMap:
    """``StackTraceMap``: ``get_stackid`` gives one id per distinct stack (numbered from 0 in
    order of appearance; the kernel's ids are hash buckets, so compare stacks, not ids).
    The test reads ``sim.maps.stacks[id]`` as a list of addresses, as from the loader."""

    def __init__(self, name: str, mt: MapType) -> None:
        self.name, self.type, self.max_entries = name, mt, mt.max_entries
        self.depth = mt.value.length if isinstance(mt.value, ArrayType) else 127
        self.stacks: dict[int, list[int]] = {}
        self._ids: dict[tuple[int, ...], int] = {}

    def get_stackid(self, frames: list[int]) -> int:
        if not frames:
            return -EFAULT
        key = tuple(frames[:self.depth])
        if key not in self._ids:
            if len(self._ids) >= self.max_entries:
                return -EEXIST                 # every bucket taken by another stack
            self._ids[key] = len(self._ids)
        sid = self._ids[key]
        self.stacks[sid] = list(key)
        return sid

    def __getitem__(self, k: int) -> list[int]:
        return list(self.stacks[int(k)])

    def __delitem__(self, k: int) -> None:
        del self.stacks[int(k)]

    def __contains__(self, k: Any) -> bool:
        return isinstance(k, int) and k in self.stacks

    def keys(self) -> list[int]:
        return list(self.stacks)

    def __len__(self) -> int:
        return len(self.stacks)


class SimCgroupArray:
    """``CgroupArray``: slots hold cgroup paths (``sim.maps.cg[0] = "/sys/fs/cgroup/app"``);
    the task is under a slot's cgroup when ``env.cgroup`` is that path or below it."""

    def __init__(self, name: str, mt: MapType) -> None:
        self.name, self.type, self.max_entries = name, mt, mt.max_entries
        self.paths: dict[int, str] = {}

    def __setitem__(self, k: int, path: Any) -> None:
        if not 0 <= int(k) < self.max_entries:
            raise KeyError(k)
        self.paths[int(k)] = os.fspath(path).rstrip("/") or "/"

    def __delitem__(self, k: int) -> None:
        del self.paths[int(k)]

    def __len__(self) -> int:
        return self.max_entries

    def under(self, idx: int, current: str) -> int:
        if idx >= self.max_entries:
            return -E2BIG
        path = self.paths.get(idx)
        if path is None:
            return -EAGAIN                     # an empty slot
        current = current.rstrip("/") or "/"
        return int(current == path or current.startswith(path.rstrip("/") + "/"))


class SimProgArray(SimMap):
    """``ProgArray``: index → program name (``sim.maps.progs[0] = "handler"``)."""

    def __init__(self, name: str, mt: MapType) -> None:
        super().__init__(name, mt)
        self.progs: dict[int, str] = {}

    def __setitem__(self, k: Any, v: Any) -> None:
        name = v if isinstance(v, str) else getattr(v, "__name__", None) or getattr(v, "name", None)
        if not isinstance(name, str):
            raise TypeError("a ProgArray slot takes a program name")
        if not 0 <= int(k) < self.max_entries:
            raise KeyError(k)
        self.progs[int(k)] = name

    def __getitem__(self, k: Any) -> Any:
        return self.progs[int(k)]

    def __delitem__(self, k: Any) -> None:
        del self.progs[int(k)]

    def __contains__(self, k: Any) -> bool:
        return int(k) in self.progs

    def __len__(self) -> int:
        return self.max_entries


_KINDS: dict[MapKind, Callable[[str, MapType], Any]] = {
    MapKind.HASH: SimHashMap, MapKind.LRU_HASH: SimLruHashMap, MapKind.ARRAY: SimArray,
    MapKind.PERCPU_ARRAY: SimPerCpuArray, MapKind.PERCPU_HASH: SimPerCpuHashMap,
    MapKind.PROG_ARRAY: SimProgArray, MapKind.STACK_TRACE: SimStackTraceMap,
    MapKind.CGROUP_ARRAY: SimCgroupArray}


def make_map(name: str, mt: MapType, event: BpfType | None = None) -> Any:
    """The simulator's map for a declaration."""
    if mt.kind is MapKind.RINGBUF:
        return SimRingBuf(name, mt, event)
    if mt.kind is MapKind.PERF_EVENT_ARRAY:
        return SimPerfEventArray(name, mt, event)
    return _KINDS[mt.kind](name, mt)

