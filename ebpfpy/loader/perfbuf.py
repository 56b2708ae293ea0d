"""``BPF_MAP_TYPE_PERF_EVENT_ARRAY`` in userspace, on libbpf's ``perf_buffer__*`` consumer.

Each CPU has its own perf buffer (``page_count`` pages, a power of two); ``events.output(ctx,
rec)`` in BPF code writes to the buffer of the CPU it runs on.  Unlike a ring buffer, the
kernel counts what did not fit: libbpf reports ``PERF_RECORD_LOST`` as (cpu, count), which
:meth:`PerfEventArray.poll` hands to its ``lost`` callback and adds to :attr:`lost`.

The consumer opens with the map (at load): ``bpf_perf_event_output`` writes only to CPUs whose
slot holds a perf event, and libbpf fills the slots when it opens the buffers, so a record
output before that would be dropped uncounted (-ENOENT in BPF code).

Records from different CPUs are not ordered with respect to one another.  Threads: as
:class:`~ebpfpy.loader.ringbuf.RingBuf` (one lock serialises libbpf; callbacks run in the
caller's thread with the lock released).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .. import libbpf as L
from ..libbpf import ffi, lib
from ..types import BpfType
from .records import RecordConsumer

DEFAULT_PAGES = 16          # per CPU, as libbpf-tools' PERF_BUFFER_PAGES


@dataclass(frozen=True)
class _Lost:
    """A PERF_RECORD_LOST, kept in order among the records."""

    cpu: int
    count: int


class PerfEventArray(RecordConsumer):
    """A perf event array: :meth:`poll` yields records as they arrive, decoded by ``event``.

    The per-CPU buffers are opened at load with 16 pages each; :meth:`resize` changes that.
    :attr:`received` counts records delivered here, :attr:`lost` the records the kernel
    dropped because a CPU's buffer was full.
    """

    what = "perf buffer"

    def __init__(self, name: str, fd: int, max_entries: int, event: BpfType | None) -> None:
        super().__init__(name, fd, event)
        self.max_entries = max_entries
        self.page_count = DEFAULT_PAGES
        self.lost = 0
        self._sample_cb = ffi.callback("void(void *, int, void *, __u32)", self._on_sample,
                                       onerror=self._escaped)
        self._lost_cb = ffi.callback("void(void *, int, __u64)", self._on_lost,
                                     onerror=self._escaped)
        with self._lock:
            self._consumer()

    def resize(self, page_count: int) -> None:
        """Reopen the per-CPU buffers with ``page_count`` pages each (a power of two).

        Records not yet polled are dropped with the old buffers."""
        if not isinstance(page_count, int) or page_count <= 0 or page_count & (page_count - 1):
            raise ValueError(f"page_count of {self.name!r} must be a power of two, "
                             f"not {page_count!r}")
        with self._lock:
            old, self.page_count = self.page_count, page_count
            if self._handle is not None:
                self._free(self._handle)
                self._handle = None
            try:
                self._consumer()
            except OSError:
                self.page_count = old
                self._consumer()
                raise

    def __repr__(self) -> str:
        return f"<PerfEventArray {self.name!r} {self.max_entries} CPUs event={self.event!r}>"

    def _on_sample(self, _ctx: Any, _cpu: int, data: Any, size: int) -> None:
        try:
            self._deliver(bytes(ffi.buffer(data, size)))
        except BaseException as e:  # noqa: BLE001 - re-raised in poll(), not lost in C
            self._fail(e)

    def _on_lost(self, _ctx: Any, cpu: int, count: int) -> None:
        try:
            self._pending.append(_Lost(cpu, count))
            self.lost += count
        except BaseException as e:  # noqa: BLE001
            self._fail(e)

    def _open(self) -> Any:
        pb = lib.perf_buffer__new(self.fd, self.page_count, self._sample_cb, self._lost_cb,
                                  ffi.NULL, ffi.NULL)
        if pb == ffi.NULL:
            raise L.os_error(ffi.errno, f"perf_buffer__new for {self.name!r}")
        return pb

    def _poll_raw(self, timeout_ms: int) -> int:
        return int(lib.perf_buffer__poll(self._handle, timeout_ms))

    def _consume_raw(self) -> int:
        return int(lib.perf_buffer__consume(self._handle))

    def _free(self, handle: Any) -> None:
        lib.perf_buffer__free(handle)

    def poll(self, timeout: float | None = 1.0, callback: Callable[[Any], Any] | None = None,
             lost: Callable[[int, int], Any] | None = None) -> Iterator[Any] | int:
        """Records that arrive within ``timeout`` seconds (``None``: never stop).

        Without ``callback`` this returns an iterator of records; with it, it calls
        ``callback(record)`` for each and returns how many there were.  ``lost(cpu, count)``
        is called, in order among the records, for each loss the kernel reports.
        """
        return self._each_record(self._iter(timeout), callback, lost)

    def consume(self) -> list[Any]:
        """Every record available now, without waiting (losses only add to :attr:`lost`)."""
        return [r for r in super().consume() if not isinstance(r, _Lost)]

    @staticmethod
    def _each_record(items: Iterator[Any], callback: Callable[[Any], Any] | None,
                     lost: Callable[[int, int], Any] | None) -> Iterator[Any] | int:
        def records() -> Iterator[Any]:
            for it in items:
                if isinstance(it, _Lost):
                    if lost is not None:
                        lost(it.cpu, it.count)
                else:
                    yield it
        if callback is None:
            return records()
        n = 0
        for rec in records():
            callback(rec)
            n += 1
        return n
