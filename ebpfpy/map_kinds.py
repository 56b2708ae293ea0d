"""The map kinds a module may declare, each with everything the compiler and tools know of it.

This is the one table of map kinds (LANGUAGE.md §2 and §5): the checker, the lowering, the simulator
and the compile cache ask a :class:`MapKind` for its properties instead of comparing names.
It sits at the bottom floor with :mod:`ebpfpy.types` and imports nothing from the package.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class MapKindSpec:
    """The properties of one map kind (see the :class:`MapKind` accessors for their meaning)."""

    dsl_name: str
    type_id: int
    params: tuple[str, ...]
    options: tuple[str, ...] = ()
    keyed: bool = True
    fd_values: bool = False
    btf_sizes: bool = False
    records: bool = False
    per_cpu: bool = False
    timers: bool = False
    indexable: bool = True
    deletable: bool = False
    methods: frozenset[str] = frozenset({"get", "lookup"})
    sleepable: bool = False


_KEYED = ("key", "value", "max_entries")
_HASH_METHODS = frozenset({"get", "lookup", "insert", "replace"})


class MapKind(Enum):
    """A map kind: ``HashMap(u32, u64, max_entries=16)`` declares a :attr:`HASH` map."""

    HASH = MapKindSpec("HashMap", 1, _KEYED, timers=True, deletable=True, methods=_HASH_METHODS,
                       sleepable=True)
    PERCPU_HASH = MapKindSpec("PerCpuHashMap", 5, _KEYED, per_cpu=True, deletable=True,
                              methods=_HASH_METHODS, sleepable=True)
    LRU_HASH = MapKindSpec("LruHashMap", 9, _KEYED, timers=True, deletable=True,
                           methods=_HASH_METHODS, sleepable=True)
    ARRAY = MapKindSpec("Array", 2, ("value", "max_entries"), ("mmapable",), timers=True,
                        sleepable=True)
    PERCPU_ARRAY = MapKindSpec("PerCpuArray", 6, ("value", "max_entries"), per_cpu=True,
                               sleepable=True)
    RINGBUF = MapKindSpec("RingBuf", 27, ("size_bytes",), ("event",), keyed=False,
                          indexable=False, records=True, sleepable=True,
                          methods=frozenset({"output", "reserve", "submit", "discard"}))
    PERF_EVENT_ARRAY = MapKindSpec("PerfEventArray", 4, (), ("max_entries", "event"),
                                   fd_values=True, btf_sizes=True, indexable=False, records=True,
                                   methods=frozenset({"output"}))
    STACK_TRACE = MapKindSpec("StackTraceMap", 7, ("max_entries",), ("depth",), btf_sizes=True,
                              indexable=False, methods=frozenset({"get_stackid"}))
    CGROUP_ARRAY = MapKindSpec("CgroupArray", 8, ("max_entries",), fd_values=True,
                               btf_sizes=True, indexable=False, methods=frozenset())
    PROG_ARRAY = MapKindSpec("ProgArray", 3, ("max_entries",), fd_values=True, btf_sizes=True,
                             indexable=False, methods=frozenset({"tail_call"}))

    def __str__(self) -> str:
        return self.value.dsl_name

    @classmethod
    def named(cls, dsl_name: str | None) -> MapKind | None:
        """The kind a DSL class name declares (``"HashMap"`` -> :attr:`HASH`), or None."""
        return _BY_NAME.get(dsl_name) if dsl_name is not None else None

    @property
    def dsl_name(self) -> str:
        """The class a module calls to declare one (``HashMap``); error messages use it."""
        return self.value.dsl_name

    @property
    def type_id(self) -> int:
        """The kernel's ``BPF_MAP_TYPE_*`` number, written into the map's BTF definition."""
        return self.value.type_id

    @property
    def params(self) -> tuple[str, ...]:
        """The declaration's parameter names, positional or keyword (``key, value, max_entries``)."""
        return self.value.params

    @property
    def options(self) -> tuple[str, ...]:
        """The declaration's keyword-only options (``mmapable=``, ``event=``)."""
        return self.value.options

    @property
    def keyed(self) -> bool:
        """Entries have a key and a value; False for a ring buffer (a stream of records)."""
        return self.value.keyed

    @property
    def fd_values(self) -> bool:
        """Values are kernel object fds (a ``u32`` key and value declared by size in BTF)."""
        return self.value.fd_values

    @property
    def btf_sizes(self) -> bool:
        """The map's BTF definition gives key and value sizes, not types (the kernel keeps no
        BTF for fd maps' and stack maps' entries)."""
        return self.value.btf_sizes

    @property
    def records(self) -> bool:
        """A stream of records to userspace (``events.output(...)``; ``event=`` decodes them)."""
        return self.value.records

    @property
    def per_cpu(self) -> bool:
        """Each CPU has its own value; userspace reads one value per possible CPU."""
        return self.value.per_cpu

    @property
    def timers(self) -> bool:
        """Values may hold a ``Timer`` or ``SpinLock`` (the kernel allows these three kinds)."""
        return self.value.timers

    @property
    def indexable(self) -> bool:
        """BPF code may read and write ``m[k]`` (and ``m[k] += 1``)."""
        return self.value.indexable

    @property
    def deletable(self) -> bool:
        """BPF code may ``del m[k]`` (hash maps; array slots always exist)."""
        return self.value.deletable

    @property
    def sleepable(self) -> bool:
        """A sleepable program may use it (6.18: "Sleepable programs can only use array, hash,
        ringbuf and local storage maps", measured by kernel_tests/test_sleepable.py)."""
        return self.value.sleepable

    @property
    def fixed_slots(self) -> bool:
        """Every index below ``max_entries`` always exists (arrays): a lookup never misses."""
        return self.value.keyed and not self.value.deletable

    @property
    def methods(self) -> frozenset[str]:
        """The methods BPF code may call on the map (``lookup``, ``output``, ``tail_call``...)."""
        return self.value.methods

    @property
    def default_size(self) -> bool:
        """``max_entries`` may be left out (0: libbpf makes one slot per possible CPU)."""
        return "max_entries" in self.value.options

    @property
    def byte_sized(self) -> bool:
        """The size is a byte count (``size_bytes``), not a number of entries."""
        return "size_bytes" in self.value.params


_BY_NAME = {k.dsl_name: k for k in MapKind}
