"""``ebpfpy run``: load, attach what can be attached, stream output, then print the maps.

Output goes to stdout one record per line (``repr`` or JSON); progress and the reasons a
program stays unattached go to stderr.  The object is used as a context manager, so links
are detached on every way out, Ctrl-C included.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
from typing import Any, Iterator

from .api import load_object
from .cli_maps import jsonable, render_map
from .loader.maps import Array, CgroupArray, ProgArray, StackTraceMap
from .loader.records import RecordConsumer
from .objfile import BpfElf, decode

TRACE_PIPE = "/sys/kernel/tracing/trace_pipe"
PRINTK_HELPERS = {6, 177}          # bpf_trace_printk, bpf_trace_vprintk
POLL_SLICE = 0.05                  # seconds: how long each wait may delay Ctrl-C or the end

# Sections that cannot attach without something only the caller has.
_NEEDS = {"syscall": "runs only through test_run", "socket": "needs a socket (attach(sock=...))",
          "perf_event": "needs a perf event (attach(pfd=...))",
          "xdp": "needs an interface: --iface IF", "tc": "needs an interface: --iface IF",
          "tcx": "needs an interface: --iface IF"}
_IFACE_KINDS = {"xdp", "tc", "tcx"}


def _emit(record: dict[str, Any], text: str, as_json: bool) -> None:
    print(json.dumps(record) if as_json else text, flush=True)


def attach_all(obj: Any, iface: str | None) -> list[Any]:
    """Attach every program that can be; say on stderr which could not, and why."""
    links = []
    parts = getattr(obj, "chain_parts", {})
    for name, prog in obj.programs.items():
        kind = prog.section.split("/", 1)[0]
        if name in parts:       # runs by tail call from its entry (frontend/chain.py)
            print(f"not attached: {name} ({prog.section}): a part of a tail-call chain "
                  f"(through {parts[name]})", file=sys.stderr)
            continue
        if kind in _NEEDS and not (iface and kind in _IFACE_KINDS):
            print(f"not attached: {name} ({prog.section}): {_NEEDS[kind]}", file=sys.stderr)
            continue
        try:
            links.append(prog.attach(iface=iface) if kind in _IFACE_KINDS else prog.attach())
        except Exception as e:  # noqa: BLE001 - one program failing must not stop the others
            print(f"not attached: {name} ({prog.section}): {str(e).strip() or type(e).__name__}",
                  file=sys.stderr)
            continue
        print(f"attached: {name} ({prog.section})", file=sys.stderr)
    return links


def _uses_printk(elf: bytes) -> bool:
    """Whether any program calls a printk helper (only then is trace_pipe worth reading)."""
    if not elf:
        return True
    for sec in BpfElf(elf).code_sections:
        if any(i.is_call and i.src == 0 and i.imm in PRINTK_HELPERS for i in decode(sec.data)):
            return True
    return False


def _open_trace_pipe() -> int | None:
    try:
        return os.open(TRACE_PIPE, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        print(f"ebpfpy: printk output unavailable: {TRACE_PIPE}: {e.strerror}", file=sys.stderr)
        return None


def _trace_lines(fd: int, pending: bytearray, wait: float) -> Iterator[str]:
    """Complete lines from trace_pipe, waiting at most ``wait`` seconds for the first."""
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return
    try:
        pending += os.read(fd, 65536)
    except BlockingIOError:
        return
    *lines, rest = pending.split(b"\n")
    pending[:] = rest
    for ln in lines:
        yield ln.decode("utf-8", "replace").strip()


def _ring_buffers(obj: Any) -> list[tuple[str, Any]]:
    """The ring buffers and perf event arrays, whose records are streamed."""
    return [(n, m) for n, m in obj.maps.items() if isinstance(m, RecordConsumer)]


def stream(obj: Any, elf: bytes, duration: float | None, as_json: bool,
           stop: threading.Event | None = None) -> None:
    """Print printk lines and ring-buffer records until ``duration`` passes or ``stop`` is set."""
    stop = stop or threading.Event()
    rbs = _ring_buffers(obj)
    fd = _open_trace_pipe() if _uses_printk(elf) else None
    pending = bytearray()
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            wait = POLL_SLICE if deadline is None else max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
            for name, rb in rbs:
                for ev in rb.poll(timeout=0 if fd is not None else wait / max(len(rbs), 1)):
                    _emit({"map": name, "event": jsonable(ev)}, repr(ev), as_json)
            if fd is not None:
                for line in _trace_lines(fd, pending, wait):
                    _emit({"printk": line}, line, as_json)
            elif not rbs:
                time.sleep(wait)
    finally:
        if fd is not None:
            os.close(fd)


def print_maps(obj: Any, as_json: bool) -> None:
    """Every map (record streams and program arrays aside) and the globals, bpftrace-style."""
    dump: dict[str, Any] = {}
    for name, m in obj.maps.items():
        if isinstance(m, (RecordConsumer, ProgArray, CgroupArray, StackTraceMap)):
            continue
        items = sorted(m.items(), key=lambda kv: _sort_key(kv[0]))
        if as_json:
            dump[name] = [[jsonable(k), jsonable(v)] for k, v in items]
        else:
            print(render_map(name, items, getattr(m, "max_entries", None),
                             isinstance(m, Array)), end="")
    glob = getattr(obj, "globals", None)
    for name, value in (glob.items() if glob is not None and len(glob) else []):
        if as_json:
            dump.setdefault("globals", {})[name] = jsonable(value)
        else:
            print(f"{name}: {value!r}")
    if as_json:
        print(json.dumps({"maps": dump}))


def _sort_key(k: Any) -> tuple[int, Any]:
    return (0, k) if isinstance(k, int) else (1, repr(k))


def run(path: str, duration: float | None, iface: str | None, as_json: bool,
        config: dict[str, Any] | None = None) -> int:
    """The whole ``run`` command; returns the exit status (0 after a normal stop or Ctrl-C).
    ``config`` sets ``Const`` globals between open and load (``--set NAME=VALUE``).

    Ctrl-C (and SIGTERM) only set a flag that the streaming loop checks every
    ``POLL_SLICE``: an exception raised at an arbitrary point (inside a libbpf callback, or
    between attaching and streaming) could skip printing the maps or the clean exit.
    """
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with load_object(path, open_only=True) as obj:
            try:
                obj.config.update(config or {})
            except (AttributeError, OverflowError, TypeError) as e:
                print(f"ebpfpy: --set: {e}", file=sys.stderr)
                return 1                 # EXIT_USER_ERROR: a wrong name or value
            obj.load()
            elf = obj.compiled.elf if getattr(obj, "compiled", None) else b""
            for link in attach_all(obj, iface):
                if hasattr(link, "read"):       # an iterator: print one pass of what it writes
                    for line in link.read().splitlines():
                        _emit({"iterator": getattr(link, "program", ""), "line": line},
                              line, as_json)
            print("streaming output; Ctrl-C to stop" + (f" (or after {duration:g} s)" if duration else ""),
                  file=sys.stderr)
            stream(obj, elf, duration, as_json, stop)
            if stop.is_set():
                print(file=sys.stderr)
            print_maps(obj, as_json)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
