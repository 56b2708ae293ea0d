"""Render map contents for ``ebpfpy run``: bpftrace-like lines, log2 histograms, JSON values.

A map reads as a log2 histogram when its keys are small integers (bucket ``k`` counting values
in ``[2^k, 2^(k+1))``) and its values are counts, and its name or shape says so: a name with
``hist``/``log2``, or an array of 2 to 65 entries (one per power of two of a u64).
"""
from __future__ import annotations

from typing import Any

MAX_LOG2_BUCKET = 64
BAR_WIDTH = 40
_UNITS = ("", "K", "M", "G", "T", "P", "E")


def jsonable(v: Any) -> Any:
    """A JSON-friendly form: ints stay, bytes become lists of ints, structs become dicts."""
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, (bytes, bytearray)):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    st = getattr(type(v), "__bpf_type__", None)
    fields = getattr(st, "fields", None)
    if fields is not None:
        return {f.name: jsonable(getattr(v, f.name)) for f in fields}
    return repr(v)


def _count(v: Any) -> int | None:
    """An integer count; per-CPU values (lists) are summed."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, list) and v and all(isinstance(x, int) for x in v):
        return sum(v)
    return None


def looks_like_log2_hist(name: str, items: list[tuple[Any, Any]], max_entries: int | None,
                         array: bool = False) -> bool:
    """Whether to draw the map as a log2 histogram (see the module docstring); ``array``: the
    map is an array, whose every index exists (a full hash map of a few entries is no
    histogram, nor is a one-element array: a counter)."""
    if not items or not all(isinstance(k, int) and 0 <= k <= MAX_LOG2_BUCKET for k, _ in items):
        return False
    if not all(_count(v) is not None for _, v in items):
        return False
    lowered = name.lower()
    return "hist" in lowered or "log2" in lowered or (
        array and max_entries is not None and 1 < max_entries <= MAX_LOG2_BUCKET + 1
        and len(items) == max_entries)


def _human(n: int) -> str:
    unit = 0
    while n >= 1024 and n % 1024 == 0 and unit < len(_UNITS) - 1:
        n //= 1024
        unit += 1
    return f"{n}{_UNITS[unit]}"


def render_hist(name: str, items: list[tuple[int, Any]]) -> str:
    """bpftrace's ``hist()`` layout: ``[lo, hi)  count |@@@@   |``, zero edges trimmed."""
    counts = {k: _count(v) or 0 for k, v in items}
    used = [k for k, c in counts.items() if c]
    out = [f"@{name}:"]
    if not used:
        return "\n".join(out) + "\n\n"
    top = max(counts.values())
    for k in range(min(used), max(used) + 1):
        c = counts.get(k, 0)
        label = f"[{_human(1 << k)}, {_human(1 << (k + 1))})"
        bar = "@" * (c * BAR_WIDTH // top if top else 0)
        out.append(f"{label:<16}{c:>10} |{bar:<{BAR_WIDTH}}|")
    return "\n".join(out) + "\n\n"


def render_map(name: str, items: list[tuple[Any, Any]], max_entries: int | None = None,
               array: bool = False) -> str:
    """One map: a histogram when it looks like one, else ``@name[key]: value`` lines."""
    if looks_like_log2_hist(name, items, max_entries, array):
        return render_hist(name, items)
    if not items:
        return f"@{name}: (empty)\n\n"
    lines = [f"@{name}[{k!r}]: {v!r}" for k, v in items]
    return "\n".join(lines) + "\n\n"
