"""``BPF_MAP_TYPE_RINGBUF`` in userspace, on libbpf's ``ring_buffer__*`` consumer.

Lost records: the kernel keeps no drop counter for ring buffers.  When the buffer is full,
``events.output(v)`` in BPF code returns ``-ENOSPC`` (-28) and the record is gone; a program
that cares counts those returns itself (e.g. in a global).  Userspace only sees what was
committed, so :attr:`RingBuf.received` counts records delivered here and nothing can count the
ones never written.

Threads: :meth:`RingBuf.poll`, :meth:`~RingBuf.consume` and :meth:`~RingBuf.release` may be
called from any number of threads.  One lock serialises the consumer (libbpf's
``ring_buffer__poll`` is not safe to run twice at once: both would read the same records), so
each record goes to exactly one caller; a caller waits at most one 100 ms poll slice for
another's to end.  Records are decoded in the polling thread, and ``poll(callback=...)``
calls the callback in the caller's thread with the lock released, so a callback may poll too.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

from ..types import BpfType
from .. import libbpf as L
from ..libbpf import ffi, lib


_SLICE_MS = 100


class RingBuf:
    """A ring buffer map: :meth:`poll` yields records as they arrive, decoded by ``event``.

    Records decode to the ``event`` type's Python value (a struct instance, an int) or stay
    ``bytes`` when the map has no record type or a record is shorter than the type.
    Thread-safe: concurrent pollers each get distinct records (see the module docstring).
    """

    def __init__(self, name: str, fd: int, max_entries: int, event: BpfType | None) -> None:
        self.name, self.fd, self.max_entries, self.event = name, fd, max_entries, event
        self.received = 0
        self._rb: Any = None
        self._pending: list[Any] = []
        self._error: BaseException | None = None
        self._cb = ffi.callback("int(void *, void *, size_t)", self._on_sample)
        self._lock = threading.Lock()   # held across each libbpf poll/consume and free

    def __repr__(self) -> str:
        return f"<RingBuf {self.name!r} {self.max_entries} bytes event={self.event!r}>"

    def decode(self, data: bytes) -> Any:
        """One record's Python value."""
        if self.event is None or len(data) < self.event.size or self.event.size == 0:
            return data
        return self.event.unpack(data[: self.event.size])

    def _on_sample(self, _ctx: Any, data: Any, size: int) -> int:
        try:
            self._pending.append(self.decode(bytes(ffi.buffer(data, size))))
            self.received += 1
            return 0
        except BaseException as e:  # noqa: BLE001 - re-raised in poll(), not lost in C
            self._error = e
            return -1

    def _ring(self) -> Any:
        if self._rb is None:
            if self.fd < 0:
                raise ValueError(f"ring buffer {self.name!r} is closed")
            rb = lib.ring_buffer__new(self.fd, self._cb, ffi.NULL, ffi.NULL)
            if rb == ffi.NULL:
                raise L.os_error(ffi.errno, f"ring_buffer__new for {self.name!r}")
            self._rb = rb
        return self._rb

    def _step(self, timeout_ms: int) -> list[Any]:
        """Wait up to ``timeout_ms`` for records; return those consumed."""
        with self._lock:
            rc = lib.ring_buffer__poll(self._ring(), timeout_ms)
            out, err = self._take()
        if err is not None:
            raise err
        if rc < 0 and -rc != 4:                          # EINTR: just poll again
            raise L.os_error(-rc, f"poll of ring buffer {self.name!r}")
        return out

    def _take(self) -> tuple[list[Any], BaseException | None]:
        """The records and error the callback left (call with the lock held)."""
        out, self._pending = self._pending, []
        err, self._error = self._error, None
        return out, err

    def poll(self, timeout: float | None = 1.0,
             callback: Callable[[Any], Any] | None = None) -> Iterator[Any] | int:
        """Records that arrive within ``timeout`` seconds.

        Without ``callback`` this returns an iterator that yields each record as soon as it is
        consumed and stops when the time is up (``timeout=None``: never).  With ``callback`` it
        calls ``callback(record)`` for each one and returns how many there were.
        """
        if callback is None:
            return self._iter(timeout)
        n = 0
        for rec in self._iter(timeout):
            callback(rec)
            n += 1
        return n

    def _iter(self, timeout: float | None) -> Iterator[Any]:
        if timeout is None:
            while True:                 # short slices keep Ctrl-C responsive
                yield from self._step(_SLICE_MS)
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            left = deadline - time.monotonic()
            yield from self._step(min(max(int(left * 1000), 0), _SLICE_MS))
            if left <= 0:
                return

    def consume(self) -> list[Any]:
        """Every record available now, without waiting."""
        with self._lock:
            rc = lib.ring_buffer__consume(self._ring())
            out, err = self._take()
        if err is not None:
            raise err
        if rc < 0:
            raise L.os_error(-rc, f"consume of ring buffer {self.name!r}")
        return out

    def __iter__(self) -> Iterator[Any]:
        return iter(self.consume())

    def release(self) -> None:
        """Free the consumer (idempotent; ``BpfObject.close`` calls it).

        Waits for a poll running in another thread to finish its slice, so the consumer is
        never freed under it; later polls raise ``ValueError``.
        """
        with self._lock:
            if self._rb is not None:
                lib.ring_buffer__free(self._rb)
                self._rb = None
            self.fd = -1
