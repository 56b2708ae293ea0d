"""The packet helpers in the simulator: the packet is ``sim._packet`` (a bytearray) and the
references ``ctx.load`` gave out are written back into it (``sim._flush_packet``) before a
helper reads or changes it; after a change they are dropped (the compiler refuses their use,
E337).  Checksums follow the kernel's incremental updates (RFC 1624, on 16-bit words in
memory order, which ones' complement arithmetic does not mind)."""
from __future__ import annotations

import ast
from typing import Any, Callable

from ..model.helper_table import PACKET_HELPERS
from ..types import ArrayType, IntType, RefType, StructType, u64
from .values import copy_into, pack, unpack, convert

ETH_HLEN = 14
XDP_HEADROOM = 256                  # XDP_PACKET_HEADROOM: room in front for adjust_head
XDP_FRAME = 4096 - 320              # a page less skb_shared_info: room for adjust_tail
XDP_FRAME_STRUCT = 40               # sizeof(struct xdp_frame), kept in the headroom
EINVAL, EFAULT, EACCES = -22, -14, -13
F_MARK_MANGLED_0, F_HDR_FIELD_MASK = 0x20, 0xF


def packet_helper(frame: Any, node: ast.Call, name: str) -> int:
    """Run ``helpers.NAME(...)`` on the simulator's packet; the helper's return value."""
    spec = PACKET_HELPERS[name]
    args: list[Any] = []
    for i, (_pname, want) in enumerate(spec.args):
        a = node.args[i] if i < len(node.args) else None
        if want == "ctx":
            continue
        if want in ("dst", "src", "buf"):
            args.append(a)
        else:
            assert isinstance(want, IntType)
            args.append(0 if a is None else convert(frame.eval(a), frame.fi.types[a], want))
    sim = frame.sim
    if name == "csum_diff":
        return _csum_diff(frame, *args)
    sim._flush_packet("tc")
    if name == "skb_load_bytes":
        return _load_bytes(frame, sim, *args)
    if spec.changes:
        sim._packet_refs = []            # stale from here on: the compiler saw to it
    return _CHANGES[name](frame, sim, *args)


# ------------------------------------------------------------------ objects as bytes
def _obj_type(frame: Any, node: ast.expr) -> Any:
    t = frame.fi.types[node]
    return t.target if isinstance(t, RefType) else t


def _read_obj(frame: Any, node: ast.expr) -> bytes:
    t = _obj_type(frame, node)
    v = frame.eval(node)
    v = getattr(v, "value", v) if not isinstance(t, (StructType, ArrayType)) else v
    return pack(t, v if isinstance(t, (StructType, ArrayType)) else convert(v, t, t))


def _write_obj(frame: Any, node: ast.expr, data: bytes) -> None:
    t = _obj_type(frame, node)
    if isinstance(t, (StructType, ArrayType)):
        copy_into(t, frame.eval(node), unpack(t, data))
    else:
        frame.store(node, unpack(t, data), t)


# ------------------------------------------------------------------ reading and writing
def _load_bytes(frame: Any, sim: Any, off: int, dst: ast.expr) -> int:
    size = _obj_type(frame, dst).size
    pkt = sim._packet or bytearray()
    if off + size > len(pkt):
        _write_obj(frame, dst, bytes(size))   # the kernel clears the buffer on failure
        return EFAULT
    _write_obj(frame, dst, bytes(pkt[off:off + size]))
    return 0


def _store_bytes(frame: Any, sim: Any, off: int, src: ast.expr, flags: int) -> int:
    data = _read_obj(frame, src)
    pkt = sim._packet
    if flags & ~0x3 or off + len(data) > len(pkt):
        return EFAULT if not flags & ~0x3 else EINVAL
    pkt[off:off + len(data)] = data
    return 0


def _fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _words(v: int, size: int) -> list[int]:
    """A field value as the helper got it (loaded from memory) in 16-bit memory-order words."""
    b = (v & ((1 << 8 * size) - 1)).to_bytes(size, "little")
    return [int.from_bytes(b[i:i + 2], "little") for i in range(0, size, 2)]


def _replace(pkt: bytearray, off: int, old: int, new: int, size: int, mangled: bool) -> int:
    if off + 2 > len(pkt):
        return EFAULT
    if size not in (0, 2, 4) or (size == 0 and old != 0):
        return EINVAL
    hc = int.from_bytes(pkt[off:off + 2], "little")
    if mangled and hc == 0:
        return 0                         # UDP without a checksum stays without one
    if size == 0:                        # new is a csum_diff result
        s = (~hc & 0xFFFF) + _fold(new & 0xFFFFFFFF)
    else:
        s = (~hc & 0xFFFF) + sum(~w & 0xFFFF for w in _words(old, size)) + sum(_words(new, size))
    out = ~_fold(s) & 0xFFFF
    if mangled and out == 0:
        out = 0xFFFF                     # CSUM_MANGLED_0
    pkt[off:off + 2] = out.to_bytes(2, "little")
    return 0


def _l3(frame: Any, sim: Any, off: int, old: int, new: int, flags: int) -> int:
    return _replace(sim._packet, off, old, new, flags & F_HDR_FIELD_MASK, False)


def _l4(frame: Any, sim: Any, off: int, old: int, new: int, flags: int) -> int:
    return _replace(sim._packet, off, old, new, flags & F_HDR_FIELD_MASK,
                    bool(flags & F_MARK_MANGLED_0))


def _csum_diff(frame: Any, old: ast.expr, new: ast.expr, seed: int) -> int:
    """bpf_csum_diff: the ones' complement sum of ~old's and new's 32-bit words (memory
    order) and the seed, folded to 16 bits."""
    def words(node: ast.expr) -> list[int]:
        if isinstance(node, ast.Constant) and node.value is None:
            return []
        b = _read_obj(frame, node)
        return [int.from_bytes(b[i:i + 4], "little") for i in range(0, len(b), 4)]
    s = seed + sum(~w & 0xFFFFFFFF for w in words(old)) + sum(words(new))
    # the kernel folds csum_partial's 32-bit sum to 16 bits, the same on every architecture
    return _fold(s)


# ------------------------------------------------------------------ moving and resizing
def _signed(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def _adjust_head(frame: Any, sim: Any, delta: int) -> int:
    """The packet's start moves by delta; the metadata in front moves with it."""
    pkt, delta = sim._packet, _signed(delta)
    if sim._headroom + delta < len(sim._meta) or len(pkt) - delta < ETH_HLEN:
        return EINVAL
    if delta < 0:
        pkt[0:0] = bytes(-delta)
    else:
        del pkt[:delta]
    sim._headroom += delta
    return 0


def _adjust_tail(frame: Any, sim: Any, delta: int) -> int:
    pkt, delta = sim._packet, _signed(delta)
    if len(pkt) + delta < ETH_HLEN or sim._headroom + len(pkt) + delta > XDP_FRAME:
        return EINVAL
    if delta < 0:
        del pkt[len(pkt) + delta:]
    else:
        pkt.extend(bytes(delta))
    return 0


def _adjust_meta(frame: Any, sim: Any, delta: int) -> int:
    """The metadata area in front of the packet grows (delta < 0) or shrinks; it must
    leave room for the kernel's struct xdp_frame, and be whole words, at most 32 bytes."""
    size = len(sim._meta) - _signed(delta)
    if size < 0 or sim._headroom - size < XDP_FRAME_STRUCT:
        return EINVAL
    if size % 4 or size > 32:
        return EACCES
    sim._meta_refs = []
    if size > len(sim._meta):
        sim._meta[0:0] = bytes(size - len(sim._meta))
    else:
        del sim._meta[:len(sim._meta) - size]
    return 0


def _change_tail(frame: Any, sim: Any, new_len: int, flags: int) -> int:
    pkt = sim._packet
    if flags or new_len < ETH_HLEN:
        return EINVAL
    if new_len < len(pkt):
        del pkt[new_len:]
    else:
        pkt.extend(bytes(new_len - len(pkt)))
    return 0


def _change_head(frame: Any, sim: Any, room: int, flags: int) -> int:
    if flags:
        return EINVAL
    sim._packet[0:0] = bytes(room)
    return 0


def _adjust_room(frame: Any, sim: Any, diff: int, mode: int, flags: int) -> int:
    """Room after the MAC header (mode 1) or after the IPv4/IPv6 header (mode 0)."""
    pkt = sim._packet
    diff = diff - (1 << 32) if diff & (1 << 31) else diff
    at = ETH_HLEN
    if mode == 0 and len(pkt) > ETH_HLEN:
        at += (pkt[ETH_HLEN] & 0xF) * 4 if pkt[ETH_HLEN] >> 4 == 4 else 40
    if flags or mode not in (0, 1) or at > len(pkt) or (diff < 0 and at - diff > len(pkt)):
        return EINVAL
    if diff > 0:
        pkt[at:at] = bytes(diff)
    else:
        del pkt[at:at - diff]
    return 0


_CHANGES: dict[str, Callable[..., int]] = {"xdp_adjust_head": _adjust_head, "xdp_adjust_tail": _adjust_tail,
            "xdp_adjust_meta": _adjust_meta, "skb_store_bytes": _store_bytes,
            "l3_csum_replace": _l3, "l4_csum_replace": _l4, "skb_change_tail": _change_tail,
            "skb_change_head": _change_head, "skb_adjust_room": _adjust_room}


def meta_load(sim: Any, t: Any) -> Any:
    """``ctx.load_meta(T)``: a ``T`` over the metadata area, or None when it is shorter."""
    if t.size > len(sim._meta):
        return None
    v = unpack(t, bytes(sim._meta[:t.size]))
    sim._meta_refs.append((v, t))
    return v


def flush_meta(sim: Any) -> None:
    for v, t in sim._meta_refs:
        sim._meta[:t.size] = pack(t, v)


def reset(sim: Any) -> None:
    """A new run: no metadata, the whole headroom in front."""
    sim._meta = bytearray()
    sim._meta_refs = []
    sim._headroom = XDP_HEADROOM


# where the simulated packet lives, as the 32-bit ctx fields data/data_end/data_meta give it
PACKET_BASE = 0x1000
# (field offset in xdp_md / __sk_buff) -> what it reads
_XDP_FIELDS = {0: "data", 4: "data_end", 8: "data_meta"}
_SKB_FIELDS = {0: "len", 76: "data", 80: "data_end", 140: "data_meta"}


def packet_field(sim: Any, kind: str, off: int) -> int | None:
    """A ctx field that describes the packet (``ctx.data_end - ctx.data`` is its length,
    ``ctx.len`` too in tc), or None for the other fields."""
    if sim._packet is None:
        return None
    field = (_XDP_FIELDS if kind == "xdp" else _SKB_FIELDS if kind in ("tc", "cgroup_skb", "socket")
             else {}).get(off)
    data = PACKET_BASE + sim._headroom
    return {"len": len(sim._packet), "data": data, "data_end": data + len(sim._packet),
            "data_meta": data - len(sim._meta), None: None}[field]
