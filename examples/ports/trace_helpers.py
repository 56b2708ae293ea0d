"""Userspace helpers the ports share, as libbpf-tools' ``trace_helpers.c`` and ``*.c`` mains do.

``print_log2_hist`` / ``print_linear_hist`` print histograms in the same layout as libbpf-tools
(so a port's output can be compared line by line with the original's); ``text`` turns a
``char[N]`` field into a string; ``Tool`` runs the poll loop every snoop tool has (print
records until Ctrl-C or a duration, report lost samples as the originals do).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any, Callable, Iterable, Sequence


def text(a: Any) -> str:
    """A NUL-terminated ``u8[N]`` (C's ``char[N]``) as text."""
    return bytes(a).split(b"\0", 1)[0].decode("utf-8", "replace")


def _stars(val: int, val_max: int, width: int) -> str:
    n = min(val, val_max) * width // val_max
    return "*" * n + " " * (width - n) + ("+" if val > val_max else "")


def print_log2_hist(vals: Sequence[int], val_type: str, out: Callable[[str], Any] = print) -> None:
    """libbpf-tools' ``print_log2_hist``: bucket ``i`` counts values in ``[2^i, 2^(i+1))``
    (bucket 0 also counts 0); nothing is printed for an all-zero histogram."""
    idx_max = max((i for i, v in enumerate(vals) if v > 0), default=-1)
    if idx_max < 0:
        return
    val_max = max(vals)
    narrow = idx_max <= 32
    out(f"{'':{5 if narrow else 15}}{val_type:<{19 if narrow else 29}} : count    distribution")
    stars = 40 if narrow else 20
    width = 10 if narrow else 20
    for i in range(idx_max + 1):
        low, high = (1 << (i + 1)) >> 1, (1 << (i + 1)) - 1
        if low == high:
            low -= 1
        out(f"{low:>{width}} -> {high:<{width}} : {vals[i]:<8} |{_stars(vals[i], val_max, stars)}|")


def print_linear_hist(vals: Sequence[int], base: int, step: int, val_type: str,
                      out: Callable[[str], Any] = print) -> None:
    """libbpf-tools' ``print_linear_hist``: one line per non-empty slot ``base + i * step``."""
    used = [i for i, v in enumerate(vals) if v > 0]
    if not used:
        return
    val_max = max(vals)
    out(f"     {val_type:<13} : count     distribution")
    for i in range(used[0], used[-1] + 1):
        if vals[i]:
            out(f"        {base + i * step:<10} : {vals[i]:<8} |{_stars(vals[i], val_max, 40)}|")


def log2_slots(items: Iterable[tuple[int, int]], n: int) -> list[int]:
    """A ``{slot: count}`` map's items as a list of ``n`` counts."""
    vals = [0] * n
    for k, v in items:
        if 0 <= k < n:
            vals[k] += v
    return vals


def strftime_now() -> str:
    """``str_timestamp("%H:%M:%S")``: the wall-clock time the originals print per line."""
    return time.strftime("%H:%M:%S")


class Interrupted:
    """SIGINT and SIGTERM end the loop (the originals' ``sig_int`` handler sets ``exiting``)."""

    def __init__(self) -> None:
        self.exiting = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, signo: int, frame: Any) -> None:
        self.exiting = True


def poll_events(buf: Any, handle: Callable[[Any], None], duration: float = 0.0,
                lost_fmt: str = "Lost {n} events on CPU #{cpu}!") -> None:
    """Poll a ``RingBuf`` or ``PerfEventArray`` until SIGINT/SIGTERM (or ``duration`` seconds),
    handing each record to ``handle``; a perf buffer's losses print as the originals print
    them (``lost_fmt``, on stderr)."""
    stop = Interrupted()
    end = time.monotonic() + duration if duration else None
    perf = hasattr(buf, "lost")

    def lost(cpu: int, n: int) -> None:
        print(lost_fmt.format(n=n, cpu=cpu), file=sys.stderr, flush=True)

    while not stop.exiting and (end is None or time.monotonic() < end):
        records = buf.poll(timeout=0.1, lost=lost) if perf else buf.poll(timeout=0.1)
        for rec in records:
            handle(rec)
            if stop.exiting or (end is not None and time.monotonic() >= end):
                break                   # a busy machine never leaves the buffer empty
    sys.stdout.flush()


def base_parser(description: str, short: bool = False) -> argparse.ArgumentParser:
    """An argument parser with the ``--duration`` every port takes (most originals run until
    Ctrl-C; tests and scripts stop them after a time instead); ``short``: the original spells
    it ``-d`` too."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(*(("-d", "--duration") if short else ("--duration",)), type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    return p


_UNISTD = ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h",
           "/usr/include/aarch64-linux-gnu/asm/unistd.h", "/usr/include/asm-generic/unistd.h")


def syscall_names() -> dict[int, str]:
    """Syscall numbers to names, from the kernel headers (libbpf-tools' syscall_helpers.c
    uses a built-in table; the headers hold the same names)."""
    names: dict[int, str] = {}
    for path in _UNISTD:
        try:
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[0] == "#define" and parts[2].isdigit() \
                            and parts[1].startswith("__NR_"):
                        names.setdefault(int(parts[2]), parts[1][5:])
        except OSError:
            continue
        if names:
            break
    return names


MINORBITS = 20


def mkdev(major: int, minor: int) -> int:
    """libbpf-tools' ``MKDEV`` (the kernel's ``dev_t`` layout: 20 minor bits)."""
    return (major << MINORBITS) | minor


def partitions() -> dict[int, str]:
    """``partitions__load``: ``/proc/partitions`` as device number -> name."""
    parts: dict[int, str] = {}
    with open("/proc/partitions") as f:
        for line in f:
            if not line.startswith(" "):
                continue                            # the heading and the blank line
            fields = line.split()
            if len(fields) == 4:
                parts[mkdev(int(fields[0]), int(fields[1]))] = fields[3]
    return parts


_REQ_FLAGS = [(1 << 21, "NoWait-"), (1 << 20, "Background-"), (1 << 19, "ReadAhead-"),
              (1 << 18, "PreFlush-"), (1 << 17, "FUA-"), (1 << 16, "Integrity-"),
              (1 << 15, "Idle-"), (1 << 14, "NoMerge-"), (1 << 13, "Priority-"),
              (1 << 12, "Metadata-"), (1 << 11, "Sync-")]
_REQ_OPS = {0: "Read", 1: "Write", 2: "Flush", 3: "Discard", 5: "SecureErase", 6: "ZoneReset",
            7: "WriteSame", 8: "ZoneResetAll", 9: "WriteZeroes", 10: "ZoneOpen",
            11: "ZoneClose", 12: "ZoneFinish", 32: "SCSIIn", 33: "SCSIOut", 34: "DrvIn",
            35: "DrvOut"}


def cmd_flags(flags: int) -> str:
    """biolatency's ``print_cmd_flags`` (blk_types.h's bits): ``Sync-Write``."""
    out = "".join(name for bit, name in _REQ_FLAGS if flags & bit)
    op = flags & 0xFF
    return out + (_REQ_OPS.get(op, "") if op < 36 else "Unknown")
