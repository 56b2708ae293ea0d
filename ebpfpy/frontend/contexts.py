"""Fields of program contexts: xdp_md, __sk_buff, tracepoint records (from tracefs)."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from ..types import INT_TYPES, ArrayType, BpfType, IntType, u32
from ..model.kernel_types import DataLoc, kernel_ctx_field, trace_event_fields, vmlinux

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

# The verifier proves a packet range only when offset + size <= MAX_PACKET_OFF
# (find_good_pkt_pointers); a larger ctx.load compiles but every access is refused at load.
MAX_PACKET_OFF = 0xFFFF

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


def tracepoint_exists(category: str, name: str) -> bool | None:
    """Whether the running kernel has the tracepoint; None when tracefs cannot tell."""
    for root in TRACEFS_ROOTS:
        events = os.path.join(root, "events")
        if os.path.isdir(events):
            return os.path.isdir(os.path.join(events, category, name))
    return None


def raw_tracepoint_exists(name: str) -> bool | None:
    """Whether ``raw_tp/NAME`` can attach: tracefs lists it under some category, or the
    kernel's BTF has ``btf_trace_NAME`` (bare tracepoints have no tracefs entry).  None when
    neither source is readable."""
    kb = vmlinux()
    if kb is not None and kb.tp_btf_args(name) is not None:
        return True
    for root in TRACEFS_ROOTS:
        events = os.path.join(root, "events")
        if os.path.isdir(events):
            return any(os.path.isdir(os.path.join(events, cat, name)) for cat in os.listdir(events))
    return None         # vmlinux BTF alone does not list the tracepoints of modules


def missing_trace_target(kind: str, section: str) -> dict[str, str] | None:
    """The E266 arguments when a tracepoint or raw_tp section names nothing the kernel has."""
    if kind == "tracepoint":
        _, cat, name = section.split("/", 2)
        if tracepoint_exists(cat, name) is False:
            return {"what": "tracepoint", "name": f"{cat}/{name}", "kind": section,
                    "hint": f"the kernel lists its tracepoints in tracefs: ls "
                            f"/sys/kernel/tracing/events/{cat}/ (sections are "
                            f"tracepoint/CATEGORY/NAME, e.g. tracepoint/syscalls/sys_enter_openat)"}
    elif kind == "raw_tp":
        name = section.split("/", 1)[1]
        if raw_tracepoint_exists(name) is False:
            return {"what": "raw tracepoint", "name": name, "kind": section,
                    "hint": "raw_tp/NAME takes a tracepoint's name without its category, "
                            "e.g. raw_tp/sched_switch (ls /sys/kernel/tracing/events/*/)"}
    return None


def parse_format(text: str) -> dict[str, Field]:
    """Parse a tracefs ``format`` file into fields (common_* fields included)."""
    out: dict[str, Field] = {}
    for m in _FIELD_RE.finditer(text):
        decl, off = m.group("decl").strip(), int(m.group("off"))
        size, signed = int(m.group("size")), m.group("signed") == "1"
        arr = re.search(r"(\w+)\s*\[(\d*)\]\s*$", decl)
        name = arr.group(1) if arr else decl.split()[-1].lstrip("*")
        loc = next((w for w in ("__data_loc", "__rel_loc") if w in decl.split()), None)
        if loc is not None:
            # the u32 as libbpf's C names it (ctx->__data_loc_filename), the string by name
            out[f"{loc}_{name}"] = (f"{loc}_{name}", u32, off)
            out[name] = (name, DataLoc(loc == "__rel_loc"), off)
            continue
        if arr:
            n = int(arr.group(2) or 0)
            if n <= 0:
                continue
            elem_size = max(size // n, 1)
            t: BpfType = ArrayType(_int(elem_size, signed and elem_size > 1), n)
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






def packet_load_overrun(size: int, offset: int) -> dict[str, int] | None:
    """The E166 arguments when ``ctx.load`` of ``size`` bytes at ``offset`` ends past
    MAX_PACKET_OFF, or None."""
    if size + offset <= MAX_PACKET_OFF:
        return None
    return {"size": size, "end": size + offset, "limit": MAX_PACKET_OFF}
