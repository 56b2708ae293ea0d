"""What the userspace consumers of ring buffers and perf buffers share: decoding records,
polling in short slices under one lock, and carrying a callback's exception out of C.

libbpf calls our cffi callbacks from inside ``ring_buffer__poll`` / ``perf_buffer__poll``.
An exception must not unwind through C, so a callback stores it and :meth:`_step` re-raises
it in the polling thread once libbpf has returned.  The callbacks are kept on the instance:
cffi frees a callback's trampoline when its Python object dies, and libbpf keeps the pointer.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

from .. import libbpf as L
from ..codec import decode_record
from ..types import BpfType
from .fdinfo import kernel_id

SLICE_MS = 100          # longest wait inside libbpf: keeps Ctrl-C and release() responsive


class RecordConsumer:
    """Base of :class:`~ebpfpy.loader.ringbuf.RingBuf` and
    :class:`~ebpfpy.loader.perfbuf.PerfEventArray`.

    A subclass provides ``_open()`` (the libbpf consumer), ``_poll_raw(ms)``,
    ``_consume_raw()`` and ``_free(handle)``; its C callbacks call :meth:`_deliver` or
    :meth:`_fail`.  Records decode to the ``event`` type's Python value (a struct instance, an
    int), or stay ``bytes`` when the map has no record type; a shorter record decodes with the
    event's last array field cut to what arrived (``rb.output(rec, size)``), or stays ``bytes``.
    """

    what = "buffer"

    def __init__(self, name: str, fd: int, event: BpfType | None) -> None:
        self.name, self.fd, self.event = name, fd, event
        self.received = 0
        self._handle: Any = None
        self._pending: list[Any] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()   # held across each libbpf poll/consume and free
        self._slice_end = 0.0           # when the running poll/consume should hand back

    @property
    def id(self) -> int:
        """The kernel's id of the map (what ``bpftool map`` lists)."""
        return kernel_id(self.fd, "map_id", f"{self.what} {self.name!r}")

    def decode(self, data: bytes) -> Any:
        """One record's Python value (``codec.decode_record``: a short record cuts the
        event's last array field, or stays bytes)."""
        return decode_record(self.event, data)

    # ------------------------------------------------------------ callbacks
    def _deliver(self, data: bytes) -> None:
        self._pending.append(self.decode(data))
        self.received += 1

    def _fail(self, e: BaseException) -> None:
        if self._error is None:
            self._error = e

    def _escaped(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        """cffi's ``onerror`` for the C callbacks: an exception raised outside a callback's
        own ``try`` -- a Python signal handler runs at the callback's first instruction, so
        Ctrl-C's ``KeyboardInterrupt`` lands there -- is kept for :meth:`_step` to raise in
        the polling thread, instead of cffi printing it and carrying on as if nothing
        happened."""
        self._fail(exc if exc is not None else exc_type())

    # ------------------------------------------------------------ subclass hooks
    def _open(self) -> Any:
        raise NotImplementedError

    def _poll_raw(self, timeout_ms: int) -> int:
        raise NotImplementedError

    def _consume_raw(self) -> int:
        raise NotImplementedError

    def _free(self, handle: Any) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ polling
    def _consumer(self) -> Any:
        if self._handle is None:
            if self.fd < 0:
                raise ValueError(f"{self.what} {self.name!r} is closed")
            self._handle = self._open()
        return self._handle

    def _step(self, timeout_ms: int) -> list[Any]:
        """Wait up to ``timeout_ms`` for records; return those consumed."""
        with self._lock:
            self._consumer()
            self._slice_end = time.monotonic() + max(timeout_ms, 10) / 1000
            rc = self._poll_raw(timeout_ms)
            out, err = self._take()
        if err is not None:
            raise err
        if rc < 0 and -rc != 4:                          # EINTR: just poll again
            raise L.os_error(-rc, f"poll of {self.what} {self.name!r}")
        return out

    def _take(self) -> tuple[list[Any], BaseException | None]:
        """The records and error the callbacks left (call with the lock held)."""
        out, self._pending = self._pending, []
        err, self._error = self._error, None
        return out, err

    def _iter(self, timeout: float | None) -> Iterator[Any]:
        if timeout is None:
            while True:                 # short slices keep Ctrl-C responsive
                yield from self._step(SLICE_MS)
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            left = deadline - time.monotonic()
            yield from self._step(min(max(int(left * 1000), 0), SLICE_MS))
            if left <= 0:
                return

    def _each(self, timeout: float | None, callback: Callable[[Any], Any] | None
              ) -> Iterator[Any] | int:
        """The iterator, or the count of records handed to ``callback``."""
        if callback is None:
            return self._iter(timeout)
        n = 0
        for rec in self._iter(timeout):
            callback(rec)
            n += 1
        return n

    def consume(self) -> list[Any]:
        """Every record available now, without waiting."""
        with self._lock:
            self._consumer()
            self._slice_end = time.monotonic() + SLICE_MS / 1000
            rc = self._consume_raw()
            out, err = self._take()
        if err is not None:
            raise err
        if rc < 0:
            raise L.os_error(-rc, f"consume of {self.what} {self.name!r}")
        return out

    def __iter__(self) -> Iterator[Any]:
        return iter(self.consume())

    def release(self) -> None:
        """Free the consumer (idempotent; ``BpfObject.close`` calls it).

        Waits for a poll running in another thread to finish its slice, so the consumer is
        never freed under it; later polls raise ``ValueError``.
        """
        with self._lock:
            if self._handle is not None:
                self._free(self._handle)
                self._handle = None
            self.fd = -1
