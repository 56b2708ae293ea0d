"""Nested header parser: Ethernet, up to two VLAN tags, IPv4 (with options), UDP.

Drops UDP to port 53, passes everything else; a cut-off header passes."""
from ebpfpy import bpf_program, struct, helpers, u8, u16, u32, XDP_DROP, XDP_PASS

ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
IPPROTO_UDP = 17


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
    frag_off: u16
    ttl: u8
    protocol: u8
    check: u16
    saddr: u32
    daddr: u32


@struct
class UdpHdr:
    source: u16
    dest: u16
    len: u16
    check: u16


@bpf_program("xdp")
def parse(ctx) -> int:
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return XDP_PASS
    off = u32(14)
    proto = helpers.ntohs(eth.proto)
    for _ in range(2):
        if proto == ETH_P_8021Q or proto == ETH_P_8021AD:
            vlan = ctx.load(VlanHdr, off)
            if vlan is None:
                return XDP_PASS
            proto = helpers.ntohs(vlan.proto)
            off += 4
    if proto != ETH_P_IP:
        return XDP_PASS
    ip = ctx.load(IpHdr, off)
    if ip is None or ip.protocol != IPPROTO_UDP:
        return XDP_PASS
    ihl = u32(ip.ver_ihl & 0x0F)
    if ihl < 5:
        return XDP_PASS
    udp = ctx.load(UdpHdr, off + ihl * 4)
    if udp is None:
        return XDP_PASS
    if helpers.ntohs(udp.dest) == 53:
        return XDP_DROP
    return XDP_PASS
