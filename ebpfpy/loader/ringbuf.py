"""``BPF_MAP_TYPE_RINGBUF`` in userspace, on libbpf's ``ring_buffer__*`` consumer.

Lost records: the kernel keeps no drop counter for ring buffers.  When the buffer is full,
``events.output(v)`` in BPF code returns ``-ENOSPC`` (-28) and the record is gone; a program
that cares counts those returns itself (e.g. in a global).  Userspace only sees what was
committed, so :attr:`RingBuf.received` counts records delivered here and nothing can count the
ones never written.  (A :class:`~ebpfpy.loader.perfbuf.PerfEventArray` does report losses.)

Threads: :meth:`RingBuf.poll`, :meth:`~RingBuf.consume` and :meth:`~RingBuf.release` may be
called from any number of threads.  One lock serialises the consumer (libbpf's
``ring_buffer__poll`` is not safe to run twice at once: both would read the same records), so
each record goes to exactly one caller; a caller waits at most one 100 ms poll slice for
another's to end.  Records are decoded in the polling thread, and ``poll(callback=...)``
calls the callback in the caller's thread with the lock released, so a callback may poll too.
"""
from __future__ import annotations

import time
from errno import EINTR
from typing import Any, Callable, Iterator

from .. import libbpf as L
from ..libbpf import ffi, lib
from ..types import BpfType
from .records import RecordConsumer


class RingBuf(RecordConsumer):
    """A ring buffer map: :meth:`poll` yields records as they arrive, decoded by ``event``.

    Records decode to the ``event`` type's Python value (a struct instance, an int) or stay
    ``bytes`` when the map has no record type or a record is shorter than the type.
    Thread-safe: concurrent pollers each get distinct records (see the module docstring).
    """

    what = "ring buffer"

    def __init__(self, name: str, fd: int, max_entries: int, event: BpfType | None) -> None:
        super().__init__(name, fd, event)
        self.max_entries = max_entries
        self._cb = ffi.callback("int(void *, void *, size_t)", self._on_sample,
                                onerror=self._on_escape)

    def __repr__(self) -> str:
        return f"<RingBuf {self.name!r} {self.max_entries} bytes event={self.event!r}>"

    def _on_sample(self, _ctx: Any, data: Any, size: int) -> int:
        try:
            self._deliver(bytes(ffi.buffer(data, size)))
            # libbpf 1.1's ring_buffer__poll/consume read until the ring is empty: with a
            # producer that keeps up, they never return, and neither would poll(timeout) or
            # a Ctrl-C.  Past the slice's end a negative return stops them; the record
            # is delivered, and -EINTR tells _step to carry on polling.
            return -EINTR if time.monotonic() >= self._slice_end else 0
        except BaseException as e:  # noqa: BLE001 - re-raised in poll(), not lost in C
            self._fail(e)
            return -1

    def _on_escape(self, exc_type: Any, exc: BaseException | None, tb: Any) -> int:
        self._escaped(exc_type, exc, tb)
        return -1                       # stop reading: poll() raises it now

    def _open(self) -> Any:
        rb = lib.ring_buffer__new(self.fd, self._cb, ffi.NULL, ffi.NULL)
        if rb == ffi.NULL:
            raise L.os_error(ffi.errno, f"ring_buffer__new for {self.name!r}")
        return rb

    def _poll_raw(self, timeout_ms: int) -> int:
        return int(lib.ring_buffer__poll(self._handle, timeout_ms))

    def _consume_raw(self) -> int:
        return int(lib.ring_buffer__consume(self._handle))

    def _free(self, handle: Any) -> None:
        lib.ring_buffer__free(handle)

    def poll(self, timeout: float | None = 1.0,
             callback: Callable[[Any], Any] | None = None) -> Iterator[Any] | int:
        """Records that arrive within ``timeout`` seconds.

        Without ``callback`` this returns an iterator that yields each record as soon as it is
        consumed and stops when the time is up (``timeout=None``: never).  With ``callback`` it
        calls ``callback(record)`` for each one and returns how many there were.
        """
        return self._each(timeout, callback)
