"""Fields of program contexts: xdp_md, __sk_buff, tracepoint records (from tracefs)."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from ..types import INT_TYPES, ArrayType, BpfType, IntType, u32
from .kernel_types import kernel_ctx_field, trace_event_fields

Field = tuple[str, BpfType, int]          # (name, type, byte offset)

XDP_FIELDS: dict[str, Field] = {n: (n, u32, off) for n, off in (
    ("data", 0), ("data_end", 4), ("data_meta", 8), ("ingress_ifindex", 12),
    ("rx_queue_index", 16), ("egress_ifindex", 20))}

SKB_FIELDS: dict[str, Field] = {n: (n, u32, off) for n, off in (
    ("len", 0), ("pkt_type", 4), ("mark", 8), ("queue_mapping", 12), ("protocol", 16),
    ("vlan_present", 20), ("vlan_tci", 24), ("vlan_proto", 28), ("priority", 32),
    ("ingress_ifindex", 36), ("ifindex", 40), ("tc_index", 44), ("hash", 68),
    ("tc_classid", 72), ("data", 76), ("data_end", 80), ("napi_id", 84), ("family", 88),
    ("remote_ip4", 92), ("local_ip4", 96), ("remote_port", 132), ("local_port", 136),
    ("data_meta", 140))}
SKB_FIELDS["cb"] = ("cb", ArrayType(u32, 5), 48)

TRACEFS_ROOTS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
_FIELD_RE = re.compile(r"field:(?P<decl>[^;]+);\s*offset:(?P<off>\d+);\s*size:(?P<size>\d+);"
                       r"\s*signed:(?P<signed>\d+);")


@lru_cache(maxsize=None)
def tracepoint_fields(category: str, name: str) -> dict[str, Field] | None:
    """The record fields the running kernel lists for a tracepoint, or None if unreadable."""
    for root in TRACEFS_ROOTS:
        path = os.path.join(root, "events", category, name, "format")
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        return parse_format(text)
    return None


def parse_format(text: str) -> dict[str, Field]:
    """Parse a tracefs ``format`` file into fields (common_* fields included)."""
    out: dict[str, Field] = {}
    for m in _FIELD_RE.finditer(text):
        decl, off = m.group("decl").strip(), int(m.group("off"))
        size, signed = int(m.group("size")), m.group("signed") == "1"
        arr = re.search(r"(\w+)\s*\[(\d*)\]\s*$", decl)
        name = arr.group(1) if arr else decl.split()[-1].lstrip("*")
        if "__data_loc" in decl:
            t: BpfType = u32
        elif arr:
            n = int(arr.group(2) or 0)
            if n <= 0:
                continue
            elem_size = max(size // n, 1)
            t = ArrayType(_int(elem_size, signed and elem_size > 1), n)
        else:
            t = _int(size, signed and "*" not in decl)
        out[name] = (name, t, off)
    return out


def _int(size: int, signed: bool) -> IntType:
    bits = {1: 8, 2: 16, 4: 32, 8: 64}.get(size, 64)
    return INT_TYPES[("i" if signed else "u") + str(bits)]


def ctx_field(fi: Any, attr: str) -> Field | None:
    """The context field ``attr`` of the function's program kind, or None."""
    kind = fi.ctx_kind
    if kind == "xdp":
        return XDP_FIELDS.get(attr)
    if kind in ("tc", "socket", "cgroup_skb"):
        return SKB_FIELDS.get(attr)
    if kind == "tracepoint":
        _, cat, name = fi.fdef.section.split("/", 2)
        fields = tracepoint_fields(cat, name)
        if fields is None:                  # no tracefs: the kernel's trace_event_raw_<name>
            fields = trace_event_fields(name)
        f = fields.get(attr) if fields else None
        # the verifier refuses the first 8 bytes of a record (common_type … common_pid):
        # tp_prog_is_valid_access wants off >= sizeof(void *); use helpers instead
        return f if f is not None and f[2] >= 8 else None
    return kernel_ctx_field(fi, attr)



