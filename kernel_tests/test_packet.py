"""Packet parsing in @bpf_functions: the program's ctx passed on (``ctx: XdpContext`` /
``ctx: SkbContext``), run with crafted frames through BPF_PROG_TEST_RUN and compared with the
same parse written in plain Python over the frame's bytes."""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterator

import pytest

import ebpfpy
from ebpfpy.objfile import BpfElf, disasm

PARSE = '''
from ebpfpy import (Array, SkbContext, TC_ACT_OK, XDP_DROP, XDP_PASS, XdpContext, bpf_function,
                    bpf_program, helpers, struct, i32, u8, u16, u32)


@struct
class Cursor:
    pos: u32                   # offset of the next header (xdp-tutorial's hdr_cursor)


@struct
class EthHdr:
    dst: u8[6]
    src: u8[6]
    proto: u16


@struct
class VlanHdr:
    tci: u16
    proto: u16


@struct
class IpHdr:
    ver_ihl: u8
    tos: u8
    tot_len: u16
    id: u16
    frag: u16
    ttl: u8
    protocol: u8
    check: u16
    saddr: u32
    daddr: u32


out = Array(u32, 4)            # [ethertype, l3 offset, ttl, protocol]


@bpf_function
def parse_ethhdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The ethertype (host order) after up to two VLAN tags, nh past them; -1 if cut off."""
    eth = ctx.load(EthHdr, nh.pos)
    if eth is None:
        return -1
    nh.pos += 14
    proto = helpers.ntohs(eth.proto)
    for _ in range(2):
        if proto != 0x8100 and proto != 0x88A8:
            break
        vlan = ctx.load(VlanHdr, nh.pos)
        if vlan is None:
            return -1
        nh.pos += 4
        proto = helpers.ntohs(vlan.proto)
    return i32(proto)


@bpf_function
def parse_iphdr(ctx: XdpContext, nh: Cursor, res: u32[4]) -> i32:
    """TTL and protocol of the IPv4 header at nh; nh past its options; -1 if cut off."""
    ip = ctx.load(IpHdr, nh.pos)
    if ip is None:
        return -1
    ihl = u32(ip.ver_ihl & 0xF)
    if ihl < 5:
        return -1
    res[2] = u32(ip.ttl)
    res[3] = u32(ip.protocol)
    nh.pos += ihl * 4
    return i32(ip.protocol)


@bpf_program("xdp")
def xdp_parse(ctx) -> int:
    nh = Cursor()
    res = u32[4]()
    proto = parse_ethhdr(ctx, nh)
    if proto < 0:
        return XDP_DROP
    res[0] = u32(proto)
    res[1] = nh.pos
    if proto == 0x0800 and parse_iphdr(ctx, nh, res) < 0:
        return XDP_DROP
    for i in range(4):
        out[i] = res[i]
    return XDP_PASS


@bpf_function
def skb_ip_protocol(ctx: SkbContext, off: u32) -> i32:
    """The IPv4 protocol at off in a tc program's packet (read in place); -1 if cut off."""
    ip = ctx.load(IpHdr, off)
    if ip is None:
        return -1
    return i32(ip.protocol)


@bpf_program("tc")
def tc_parse(ctx) -> int:
    eth = ctx.load(EthHdr, 0)
    if eth is None or helpers.ntohs(eth.proto) != 0x0800:
        return TC_ACT_OK
    out[3] = u32(skb_ip_protocol(ctx, 14))
    out[0] = ctx.protocol
    return TC_ACT_OK


@bpf_function
def sock_ip_ttl(ctx: SkbContext) -> i32:
    """A socket filter's packet starts at the IP header; ctx.load copies it
    (bpf_skb_load_bytes) since socket filters cannot read packets in place."""
    ip = ctx.load(IpHdr, 0)
    if ip is None:
        return -1
    return i32(ip.ttl)


@bpf_program("socket")
def sock_parse(ctx) -> int:
    out[2] = u32(sock_ip_ttl(ctx))
    return 0
'''


def mac(n: int) -> bytes:
    return bytes([2, 0, 0, 0, 0, n])


def ipv4(ttl: int, proto: int, ihl: int = 5, payload: bytes = b"") -> bytes:
    opts = bytes(4 * (ihl - 5))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), 1, 0,
                      ttl, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr + opts + payload


def frame(proto: int, body: bytes, vlans: tuple[int, ...] = ()) -> bytes:
    head = mac(1) + mac(2)
    for tpid in vlans:
        head += struct.pack("!HH", tpid, 7)
    return head + struct.pack("!H", proto) + body


def model_ethhdr(data: bytes, pos: int) -> tuple[int, int]:
    """parse_ethhdr in Python: (ethertype, next offset), or (-1, pos) when cut off."""
    if len(data) < pos + 14:
        return -1, pos
    (proto,) = struct.unpack_from("!H", data, pos + 12)
    pos += 14
    for _ in range(2):
        if proto not in (0x8100, 0x88A8):
            break
        if len(data) < pos + 4:
            return -1, pos
        (proto,) = struct.unpack_from("!H", data, pos + 2)
        pos += 4
    return proto, pos


def model_xdp(data: bytes) -> tuple[int, list[int] | None]:
    """What xdp_parse computes, in Python: its verdict and the out[] it writes."""
    proto, pos = model_ethhdr(data, 0)
    if proto < 0:
        return ebpfpy.XDP_DROP, None
    res = [proto, pos, 0, 0]
    if proto == 0x0800:
        if len(data) < pos + 20 or data[pos] & 0xF < 5:
            return ebpfpy.XDP_DROP, None
        res[2], res[3] = data[pos + 8], data[pos + 9]
    return ebpfpy.XDP_PASS, res


FRAMES = {
    "ipv4-udp": frame(0x0800, ipv4(64, 17, payload=bytes(8))),
    "ipv4-options": frame(0x0800, ipv4(3, 6, ihl=7, payload=bytes(20))),
    "vlan-ipv4": frame(0x0800, ipv4(200, 1, payload=bytes(8)), vlans=(0x8100,)),
    "qinq-ipv4": frame(0x0800, ipv4(9, 17, payload=bytes(8)), vlans=(0x88A8, 0x8100)),
    "three-tags": frame(0x0800, ipv4(9, 17, payload=bytes(8)), vlans=(0x8100,) * 3),
    "ipv6": frame(0x86DD, bytes(40)),
    "arp": frame(0x0806, bytes(28)),
    "ipv4-cut": frame(0x0800, ipv4(64, 17)[:12]),
    "vlan-cut": (mac(1) + mac(2) + struct.pack("!HH", 0x8100, 7)),
    "bad-ihl": frame(0x0800, bytes([0x43]) + ipv4(64, 17)[1:]),
}


@pytest.fixture(scope="module")
def obj(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ebpfpy.BpfObject]:
    path = tmp_path_factory.mktemp("packet") / "parse.py"
    path.write_text(PARSE)
    with ebpfpy.load(str(path)) as o:
        yield o


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_xdp_functions_parse_through_the_ctx(obj, name: str) -> None:
    data = FRAMES[name]
    for i in range(4):
        obj.maps.out[i] = 0
    r = obj.programs.xdp_parse.test_run(data=data)
    verdict, res = model_xdp(data)
    assert r.retval == verdict
    assert [obj.maps.out[i] for i in range(4)] == (res or [0, 0, 0, 0])


def test_parse_from_several_call_sites(tmp_path: Path) -> None:
    """parse_ethhdr called from three places with different cursors."""
    src = PARSE + '''

@bpf_program("xdp")
def twice(ctx) -> int:
    a = Cursor()
    b = Cursor(pos=14)
    c = Cursor(pos=32)
    x = parse_ethhdr(ctx, a)
    y = parse_ethhdr(ctx, b)
    z = parse_ethhdr(ctx, c)
    if x < 0 or y < 0:
        return XDP_DROP
    out[0] = u32(x)
    out[1] = u32(y)
    out[2] = b.pos
    out[3] = u32(z)             # -1: the frame ends before a third header
    return XDP_PASS
'''
    path = tmp_path / "twice.py"
    path.write_text(src)
    data = frame(0x8100, struct.pack("!H", 7) + mac(5) + mac(6) + struct.pack("!H", 0x0800)
                 + ipv4(1, 1)[:2])
    with ebpfpy.load(str(path)) as o:
        assert o.programs.twice.test_run(data=data).retval == ebpfpy.XDP_PASS
        x, _ = model_ethhdr(data, 0)
        y, after = model_ethhdr(data, 14)
        z, _ = model_ethhdr(data, 32)
        assert [o.maps.out[i] for i in range(4)] == [x, y, after, z % 2**32]
        assert z == -1


SUBPROGRAM = '''
from ebpfpy import Array, XDP_DROP, XdpContext, bpf_function, bpf_program, helpers, struct, i32, u8, u16, u32, u64


@struct
class Cursor:
    pos: u32


@struct
class EthHdr:
    dst: u8[6]
    src: u8[6]
    proto: u16


seen = Array(u64, 2)


@bpf_function
def mix_ethhdr(ctx: XdpContext, nh: Cursor) -> i32:
    """dst ^= src in the header at nh (a write through the packet), nh past it."""
    eth = ctx.load(EthHdr, nh.pos)
    if eth is None:
        return -1
    nh.pos += 14
    seen[0] += u64(eth.dst[0])
    seen[1] += u64(ctx.ingress_ifindex)
    for i in range(6):
        eth.dst[i] = eth.dst[i] ^ eth.src[i]
    return i32(helpers.ntohs(eth.proto))


@bpf_program("xdp")
def mix3(ctx) -> int:
    nh = Cursor()
    if mix_ethhdr(ctx, nh) < 0:
        return XDP_DROP
    if mix_ethhdr(ctx, nh) < 0:
        return XDP_DROP
    p = mix_ethhdr(ctx, nh)
    if p < 0:
        return XDP_DROP
    return u32(p) + nh.pos
'''


def test_packet_pointers_cross_a_real_bpf_call(tmp_path: Path) -> None:
    """A function too big to inline stays a BPF-to-BPF call: the verifier checks it with each
    caller's packet pointers (static subprograms are verified per call site), and its
    writes reach the packet."""
    path = tmp_path / "mix.py"
    path.write_text(SUBPROGRAM)
    assert "<mix_ethhdr>" in disasm(BpfElf(ebpfpy.compile(str(path))), program="mix3")
    data = bytes(range(64))
    want = bytearray(data)
    for k in range(3):
        for i in range(6):
            want[14 * k + i] ^= want[14 * k + 6 + i]
    with ebpfpy.load(str(path)) as o:
        r = o.programs.mix3.test_run(data=data)
        assert r.retval == struct.unpack_from("!H", data, 14 * 2 + 12)[0] + 3 * 14
        assert r.data == bytes(want)
        assert o.maps.seen[0] == data[0] + data[14] + data[28]


def test_tc_and_socket_functions(obj) -> None:
    data = FRAMES["vlan-ipv4"][:12] + FRAMES["ipv4-udp"][12:]
    for i in range(4):
        obj.maps.out[i] = 0
    assert obj.programs.tc_parse.test_run(data=data).retval == ebpfpy.TC_ACT_OK
    assert obj.maps.out[3] == data[14 + 9]                        # protocol, read in place
    assert obj.maps.out[0] == struct.unpack_from("<H", data, 12)[0]   # skb->protocol: big-endian
    obj.programs.sock_parse.test_run(data=data)
    assert obj.maps.out[2] == data[14 + 8]                        # the socket filter's TTL


# ------------------------------------------------------------------ packet-changing helpers
RESHAPE = '''
from ebpfpy import (Array, BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0, TC_ACT_OK, TC_ACT_SHOT,
                    XDP_DROP, XDP_PASS, XDP_TX, XdpContext, bpf_function, bpf_program, helpers,
                    struct, i32, u8, u16, u32, u64)


@struct
class EthHdr:
    dst: u8[6]
    src: u8[6]
    proto: u16


@struct
class VlanHdr:
    tci: u16
    proto: u16


@struct
class Macs:
    dst: u8[6]
    src: u8[6]


VLAN_ID = 42
results = Array(i64, 4)


@bpf_program("xdp")
def push_vlan(ctx) -> int:
    """Insert an 802.1Q tag (VLAN_ID) after the MAC addresses: 4 bytes more at the front."""
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return XDP_DROP
    macs = Macs()
    macs.dst = eth.dst
    macs.src = eth.src
    proto = eth.proto
    if helpers.xdp_adjust_head(ctx, -4) != 0:
        return XDP_DROP
    eth = ctx.load(EthHdr, 0)            # the old reference is stale: load again
    vlan = ctx.load(VlanHdr, 14)
    if eth is None or vlan is None:
        return XDP_DROP
    eth.dst = macs.dst
    eth.src = macs.src
    eth.proto = helpers.htons(0x8100)
    vlan.tci = helpers.htons(VLAN_ID)
    vlan.proto = proto
    return XDP_TX


@bpf_function
def pop_vlan(ctx: XdpContext) -> i32:
    """Remove the outer VLAN tag, if any: the VLAN id, or -1 when untagged."""
    eth = ctx.load(EthHdr, 0)
    vlan = ctx.load(VlanHdr, 14)
    if eth is None or vlan is None or eth.proto != helpers.htons(0x8100):
        return -1
    vid = i32(helpers.ntohs(vlan.tci) & 0xFFF)
    macs = Macs()
    macs.dst = eth.dst
    macs.src = eth.src
    proto = vlan.proto
    if helpers.xdp_adjust_head(ctx, 4) != 0:
        return -1
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return -1
    eth.dst = macs.dst
    eth.src = macs.src
    eth.proto = proto
    return vid


@bpf_program("xdp")
def decap(ctx) -> int:
    results[0] = i64(pop_vlan(ctx))
    return XDP_PASS


@bpf_program("xdp")
def trim(ctx) -> int:
    """Drop the frame's last 4 bytes (an FCS, say) and report xdp_adjust_tail's result."""
    results[1] = helpers.xdp_adjust_tail(ctx, -4)
    return XDP_PASS


@struct
class Meta:
    mark: u32
    length: u32


@bpf_program("xdp")
def meta(ctx) -> int:
    """Reserve 8 bytes of metadata in front of the packet and write into them (a tc program
    further on would read them with ctx.load_meta too); the packet does not change."""
    results[2] = helpers.xdp_adjust_meta(ctx, -8)
    m = ctx.load_meta(Meta)
    if m is None:
        return XDP_DROP
    m.mark = 0xC0FFEE
    m.length = ctx.data_end - ctx.data
    results[3] = i64(ctx.data - ctx.data_meta)
    return XDP_PASS
'''


@pytest.fixture(scope="module")
def reshape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ebpfpy.BpfObject]:
    path = tmp_path_factory.mktemp("reshape") / "reshape.py"
    path.write_text(RESHAPE)
    with ebpfpy.load(str(path)) as o:
        yield o


def py_push_vlan(data: bytes, vid: int) -> bytes:
    return data[:12] + struct.pack("!HH", 0x8100, vid) + data[12:]


def py_pop_vlan(data: bytes) -> tuple[bytes, int]:
    if len(data) < 18 or data[12:14] != b"\x81\x00":
        return data, -1
    return data[:12] + data[16:], struct.unpack_from("!H", data, 14)[0] & 0xFFF


@pytest.mark.parametrize("name", ["ipv4-udp", "ipv6", "arp"])
def test_xdp_adjust_head_encap_and_decap(reshape, name: str) -> None:
    data = FRAMES[name]
    r = reshape.programs.push_vlan.test_run(data=data)
    assert r.retval == ebpfpy.XDP_TX
    assert r.data == py_push_vlan(data, 42)
    r2 = reshape.programs.decap.test_run(data=r.data)
    assert r2.retval == ebpfpy.XDP_PASS
    assert (r2.data, reshape.maps.results[0]) == py_pop_vlan(r.data) == (data, 42)


def test_decap_leaves_untagged_frames(reshape) -> None:
    data = FRAMES["ipv4-udp"]
    r = reshape.programs.decap.test_run(data=data)
    assert (r.data, reshape.maps.results[0]) == py_pop_vlan(data) == (data, -1)


def test_xdp_adjust_tail_and_meta(reshape) -> None:
    data = FRAMES["ipv4-udp"]
    r = reshape.programs.trim.test_run(data=data)
    assert reshape.maps.results[1] == 0 and r.data == data[:-4]
    r = reshape.programs.meta.test_run(data=data)
    assert [reshape.maps.results[2], reshape.maps.results[3]] == [0, 8]
    # test_run hands back the metadata area in front of the packet
    assert r.data == struct.pack("<II", 0xC0FFEE, len(data)) + data


# ------------------------------------------------------------------ tc: rewriting with checksums
REWRITE = '''
from ebpfpy import (Array, BPF_ADJ_ROOM_MAC, BPF_F_MARK_MANGLED_0, BPF_F_PSEUDO_HDR, TC_ACT_OK,
                    bpf_program,
                    helpers, struct, i64, u8, u16, u32, u64)


@struct
class IpHdr:
    ver_ihl: u8
    tos: u8
    tot_len: u16
    id: u16
    frag: u16
    ttl: u8
    protocol: u8
    check: u16
    saddr: u32
    daddr: u32


@struct
class UdpHdr:
    sport: u16
    dport: u16
    length: u16
    check: u16


IP = 14                      # the IPv4 header follows the Ethernet header
UDP = IP + 20
NEW_DADDR = 0x0A000063       # 10.0.0.99
results = Array(i64, 4)


@bpf_program("tc")
def rewrite(ctx) -> int:
    """TTL - 1, UDP destination port - 1, destination address NEW_DADDR; every checksum
    fixed incrementally (l3_csum_replace, l4_csum_replace, csum_diff)."""
    ip = IpHdr()
    if helpers.skb_load_bytes(ctx, IP, ip) != 0 or ip.ver_ihl != 0x45 or ip.protocol != 17:
        return TC_ACT_OK
    udp = UdpHdr()
    if helpers.skb_load_bytes(ctx, UDP, udp) != 0:
        return TC_ACT_OK
    # the TTL shares a 16-bit checksum word with the protocol
    old_word = u64(helpers.htons(u16(ip.ttl) << 8 | u16(ip.protocol)))
    ip.ttl -= 1
    new_word = u64(helpers.htons(u16(ip.ttl) << 8 | u16(ip.protocol)))
    helpers.skb_store_bytes(ctx, IP + 8, ip.ttl)
    helpers.l3_csum_replace(ctx, IP + 10, old_word, new_word, 2)
    # the port: 2 bytes of the UDP header, in the UDP checksum only
    old_port = udp.dport
    udp.dport = helpers.htons(helpers.ntohs(udp.dport) - 1)
    helpers.skb_store_bytes(ctx, UDP + 2, udp.dport)
    helpers.l4_csum_replace(ctx, UDP + 6, u64(old_port), u64(udp.dport), 2 | BPF_F_MARK_MANGLED_0)
    # the address: in the IP checksum, and in the UDP one through the pseudo-header
    old_addr = u32[1]()
    new_addr = u32[1]()
    old_addr[0] = ip.daddr
    new_addr[0] = helpers.htonl(NEW_DADDR)
    diff = helpers.csum_diff(old_addr, new_addr)
    results[0] = diff
    helpers.skb_store_bytes(ctx, IP + 16, new_addr)
    helpers.l3_csum_replace(ctx, IP + 10, u64(old_addr[0]), u64(new_addr[0]), 4)
    helpers.l4_csum_replace(ctx, UDP + 6, 0, u64(diff), BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0)
    return TC_ACT_OK


@bpf_program("tc")
def set_tos(ctx) -> int:
    """A reference read in place (ctx.load), the packet changed, the reference loaded again."""
    ip = ctx.load(IpHdr, IP)
    if ip is None:
        return TC_ACT_OK
    old_word = u64(helpers.htons(u16(ip.ver_ihl) << 8 | u16(ip.tos)))
    tos = u8[1]()
    tos[0] = 0x10
    helpers.skb_store_bytes(ctx, IP + 1, tos)
    helpers.l3_csum_replace(ctx, IP + 10, old_word, u64(helpers.htons(u16(0x45) << 8 | 0x10)), 2)
    ip = ctx.load(IpHdr, IP)             # skb_store_bytes made the old one stale
    if ip is None:
        return TC_ACT_OK
    results[1] = i64(ip.tos)
    return TC_ACT_OK


@bpf_program("tc")
def room(ctx) -> int:
    """4 bytes of room after the MAC header (skb_adjust_room), then 6 in front of the
    packet (skb_change_head)."""
    results[0] = helpers.skb_adjust_room(ctx, 4, BPF_ADJ_ROOM_MAC)
    results[1] = helpers.skb_change_head(ctx, 6)
    return TC_ACT_OK


@bpf_program("tc")
def pad(ctx) -> int:
    """Grow the packet by 8 bytes at the end (skb_change_tail)."""
    results[2] = helpers.skb_change_tail(ctx, ctx.len + 8, 0)
    results[3] = i64(ctx.len)
    return TC_ACT_OK
'''


def inet_csum(b: bytes) -> int:
    """RFC 1071: the one's complement of the one's complement sum of 16-bit words."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(ttl: int, sport: int, dport: int, payload: bytes,
              src: bytes = bytes([10, 0, 0, 1]), dst: bytes = bytes([10, 0, 0, 2])) -> bytes:
    """An Ethernet/IPv4/UDP frame with both checksums correct."""
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, ttl, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", inet_csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = inet_csum(src + dst + struct.pack("!BBH", 0, 17, udp_len) + udp) or 0xFFFF
    return mac(1) + mac(2) + b"\x08\x00" + ip + udp[:6] + struct.pack("!H", c) + udp[8:]


@pytest.fixture(scope="module")
def rewrite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ebpfpy.BpfObject]:
    path = tmp_path_factory.mktemp("rewrite") / "rewrite.py"
    path.write_text(REWRITE)
    with ebpfpy.load(str(path)) as o:
        yield o


@pytest.mark.parametrize("ttl,sport,dport,payload", [
    (64, 1000, 2000, b"hello world!"), (1, 53, 1, b""), (255, 65535, 65535, bytes(range(37)))])
def test_tc_rewrite_fixes_every_checksum(rewrite, ttl: int, sport: int, dport: int,
                                         payload: bytes) -> None:
    data = udp_frame(ttl, sport, dport, payload)
    r = rewrite.programs.rewrite.test_run(data=data)
    assert r.retval == ebpfpy.TC_ACT_OK
    new_dst = bytes([10, 0, 0, 99])
    # what Python computes from scratch for the rewritten packet
    want = udp_frame(ttl - 1, sport, (dport - 1) % 65536, payload, dst=new_dst)
    assert r.data == want
    ip, udp = r.data[14:34], r.data[34:]
    assert inet_csum(ip) == 0
    assert inet_csum(ip[12:20] + struct.pack("!BBH", 0, 17, len(udp)) + udp) == 0


def test_tc_store_bytes_then_reload(rewrite) -> None:
    data = udp_frame(64, 1, 2, b"x")
    r = rewrite.programs.set_tos.test_run(data=data)
    assert rewrite.maps.results[1] == 0x10 and r.data[15] == 0x10
    assert inet_csum(r.data[14:34]) == 0
    assert r.data[:15] + r.data[16:24] + r.data[26:] == data[:15] + data[16:24] + data[26:]


def test_tc_change_tail(rewrite) -> None:
    data = udp_frame(64, 1, 2, b"abc")
    r = rewrite.programs.pad.test_run(data=data)
    assert rewrite.maps.results[2] == 0 and rewrite.maps.results[3] == len(data) + 8
    assert r.data == data + bytes(8)


def test_tc_adjust_room_and_change_head(rewrite) -> None:
    data = udp_frame(64, 1, 2, b"abc")
    r = rewrite.programs.room.test_run(data=data)
    assert [rewrite.maps.results[0], rewrite.maps.results[1]] == [0, 0]
    assert r.data == bytes(6) + data[:14] + bytes(4) + data[14:]


# ------------------------------------------------------------------ the simulator agrees
PORTS = Path(__file__).resolve().parent.parent / "examples" / "ports"


def _sim_cases(tmp: Path) -> list[tuple[Path, list[str], list[bytes], bool]]:
    (tmp / "reshape.py").write_text(RESHAPE)
    (tmp / "rewrite.py").write_text(REWRITE)
    udp = [udp_frame(64, 1000, 2000, b"hello"), udp_frame(1, 53, 0, b""),
           udp_frame(200, 9, 65535, bytes(range(33)))]
    return [
        (tmp / "reshape.py", ["push_vlan", "decap", "trim", "meta"],
         [FRAMES[n] for n in ("ipv4-udp", "ipv6", "arp", "vlan-ipv4")], True),
        (tmp / "rewrite.py", ["rewrite", "set_tos", "room"], udp, True),
        (PORTS / "xdp_rewriting.py", ["xdp_patch_ports_func", "xdp_vlan_swap_func"],
         list(FRAMES.values()) + udp, False),
        (PORTS / "xdp_parsing.py", ["xdp_parser_func"], list(FRAMES.values()), False),
    ]


def test_simulator_agrees_with_the_kernel(tmp_path: Path) -> None:
    """ebpfpy.testing runs the packet helpers (adjust_head/tail/meta, store_bytes, the
    checksum helpers, csum_diff, change_tail/head, adjust_room) as the kernel does: the same
    verdict, output frame and results, frame by frame."""
    from ebpfpy.testing import Simulator
    for path, progs, frames, has_results in _sim_cases(tmp_path):
        sim = Simulator(str(path))
        with ebpfpy.load(str(path)) as o:
            for prog in progs:
                for data in frames:
                    k = o.programs[prog].test_run(data=data)
                    s = sim.run(prog, data=data)
                    assert (prog, s.retval, s.data) == (prog, k.retval, k.data)
                    if has_results:
                        assert [sim.maps.results[i] for i in range(4)] == \
                            [o.maps.results[i] for i in range(4)], prog


UNBOUNDED = '''
from ebpfpy import XDP_DROP, bpf_program, struct, u16, u32


@struct
class Off:
    v: u32


@struct
class Proto:
    v: u16


@bpf_program("xdp")
def unbounded(ctx) -> int:
    o = ctx.load(Off, 0)
    if o is None:
        return XDP_DROP
    p = ctx.load(Proto, o.v)          # any u32: the verifier cannot bound data + o.v
    if p is None:
        return XDP_DROP
    return u32(p.v)
'''


def test_unbounded_offset_gets_its_own_hint(tmp_path: Path) -> None:
    path = tmp_path / "unbounded.py"
    path.write_text(UNBOUNDED)
    with pytest.raises(ebpfpy.VerifierError) as info:
        ebpfpy.load(str(path))
    assert "MAX_PACKET_OFF" in str(info.value) and info.value.lineno == 23    # the read
    path.write_text(UNBOUNDED.replace("ctx.load(Proto, o.v)", "ctx.load(Proto, o.v & 0x3FFF)"))
    with ebpfpy.load(str(path)) as o:
        data = struct.pack("<I", 6) + bytes(range(4, 20))
        assert o.programs.unbounded.test_run(data=data).retval == \
            struct.unpack_from("<H", data, 6)[0]
