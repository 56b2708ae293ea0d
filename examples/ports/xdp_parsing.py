"""xdp_parsing: xdp-tutorial's packet01-parsing lesson, assignments done — drop ICMP and
ICMPv6 echo requests whose sequence number is even, pass everything else, count per action.

Port of github.com/xdp-project/xdp-tutorial packet01-parsing/xdp_prog_kern.c as the tutorial
solves it (``xdp_parser_func`` in packet02-rewriting/xdp_prog_kern.c, over the header parsers
of common/parsing_helpers.h and the per-action counters of common/xdp_stats_kern.h), with
xdp_loader's ``--dev`` and xdp_stats's table (examples/ports/xdp_stats.py) in one process:

    sudo python examples/ports/xdp_parsing.py --dev IFACE      # then ping across IFACE

What changes in the Python form: ``struct hdr_cursor { void *pos; }`` is an offset
(``Cursor.pos``), each ``parse_*`` takes the program's ctx (``ctx: XdpContext``) and
returns the next header type in host order, and the caller loads the header it needs at the
offset it kept (a function returns values, not packet references).  Left out: pinning the
stats map for a separate xdp_stats process; xdp_loader's options other than ``--dev``.
"""
from ebpfpy import (XDP_ABORTED, XDP_DROP, XDP_PASS, PerCpuArray, XdpContext, bpf_function,
                    bpf_program, helpers, struct, i32, u8, u16, u32, u64)

XDP_ACTION_MAX = 5                      # XDP_REDIRECT + 1
VLAN_MAX_DEPTH = 4
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
IPPROTO_ICMP = 1
IPPROTO_ICMPV6 = 58
ICMP_ECHO = 8
ICMPV6_ECHO_REQUEST = 128


@struct
class DataRec:
    rx_packets: u64
    rx_bytes: u64


xdp_stats_map = PerCpuArray(DataRec, XDP_ACTION_MAX)


@struct
class Cursor:
    pos: u32                            # offset of the next header


@struct
class EthHdr:
    h_dest: u8[6]
    h_source: u8[6]
    h_proto: u16


@struct
class VlanHdr:
    h_vlan_TCI: u16
    h_vlan_encapsulated_proto: u16


@struct
class Ipv6Hdr:
    priority_version: u8
    flow_lbl: u8[3]
    payload_len: u16
    nexthdr: u8
    hop_limit: u8
    saddr: u8[16]
    daddr: u8[16]


@struct
class IpHdr:
    ihl_version: u8                     # version in the high nibble, ihl in the low one
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
class IcmpEcho:                         # icmphdr / icmp6hdr with the echo fields
    type: u8
    code: u8
    checksum: u16
    id: u16
    sequence: u16


@bpf_function
def xdp_stats_record_action(ctx: XdpContext, action: u32) -> u32:
    """Count the packet and its bytes under its action; the action."""
    if action >= XDP_ACTION_MAX:
        return XDP_ABORTED
    rec = xdp_stats_map.lookup(action)
    if rec is None:
        return XDP_ABORTED
    rec.rx_packets += 1                 # a per-CPU value: no other CPU writes it
    rec.rx_bytes += ctx.data_end - ctx.data
    return action


@bpf_function
def parse_ethhdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The EtherType after up to VLAN_MAX_DEPTH VLAN tags, nh past them; -1 if cut off."""
    eth = ctx.load(EthHdr, nh.pos)
    if eth is None:
        return -1
    nh.pos += 14
    h_proto = helpers.ntohs(eth.h_proto)
    for _ in range(VLAN_MAX_DEPTH):
        if h_proto != ETH_P_8021Q and h_proto != ETH_P_8021AD:
            break
        vlh = ctx.load(VlanHdr, nh.pos)
        if vlh is None:
            break
        h_proto = helpers.ntohs(vlh.h_vlan_encapsulated_proto)
        nh.pos += 4
    return i32(h_proto)


@bpf_function
def parse_ip6hdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The next header's protocol, nh past the IPv6 header; -1 if cut off."""
    ip6h = ctx.load(Ipv6Hdr, nh.pos)
    if ip6h is None:
        return -1
    nh.pos += 40
    return i32(ip6h.nexthdr)


@bpf_function
def parse_iphdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The protocol, nh past the IPv4 header and its options; -1 if cut off."""
    iph = ctx.load(IpHdr, nh.pos)
    if iph is None:
        return -1
    hdrsize = u32(iph.ihl_version & 0xF) * 4
    if hdrsize < 20:
        return -1
    last = ctx.load(u8, nh.pos + hdrsize - 1)
    if last is None:                    # the options end past the packet
        return -1
    nh.pos += hdrsize
    return i32(iph.protocol)


@bpf_function
def parse_icmphdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The ICMP (or ICMPv6) type, nh past the header; -1 if cut off."""
    icmph = ctx.load(IcmpEcho, nh.pos)
    if icmph is None:
        return -1
    nh.pos += 8
    return i32(icmph.type)


@bpf_program("xdp")
def xdp_parser_func(ctx) -> int:
    action = u32(XDP_PASS)
    nh = Cursor()
    nh_type = parse_ethhdr(ctx, nh)
    if nh_type == ETH_P_IPV6:
        if parse_ip6hdr(ctx, nh) == IPPROTO_ICMPV6:
            at = nh.pos
            if parse_icmphdr(ctx, nh) == ICMPV6_ECHO_REQUEST:
                icmp6h = ctx.load(IcmpEcho, at)
                if icmp6h is not None and helpers.ntohs(icmp6h.sequence) % 2 == 0:
                    action = XDP_DROP
    elif nh_type == ETH_P_IP:
        if parse_iphdr(ctx, nh) == IPPROTO_ICMP:
            at = nh.pos
            if parse_icmphdr(ctx, nh) == ICMP_ECHO:
                icmph = ctx.load(IcmpEcho, at)
                if icmph is not None and helpers.ntohs(icmph.sequence) % 2 == 0:
                    action = XDP_DROP
    return xdp_stats_record_action(ctx, action)


def main(argv=None) -> None:
    import os
    import sys
    import time

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ebpfpy
    from trace_helpers import Interrupted, base_parser
    from xdp_stats import stats_poll

    p = base_parser("XDP parser: drops ICMP echo requests with even sequence numbers")
    p.add_argument("-d", "--dev", required=True, help="Operate on device <ifname>")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between tables")
    args = p.parse_args(argv)
    with ebpfpy.load(__file__) as obj, obj.programs.xdp_parser_func.attach(iface=args.dev):
        print(f"Success: Loaded BPF-object({os.path.basename(__file__)}) and used section"
              f"(xdp_parser_func)\n - XDP prog attached on device:{args.dev}", flush=True)
        stop = Interrupted()
        end = time.monotonic() + args.duration if args.duration else None
        stats_poll(obj.maps.xdp_stats_map, args.interval,
                   lambda: not stop.exiting and (end is None or time.monotonic() < end),
                   out=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
