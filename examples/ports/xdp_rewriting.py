"""xdp_rewriting: xdp-tutorial's packet02-rewriting lesson, assignments done — rewrite UDP and
TCP destination ports (port - 1), pop the outer VLAN tag or push one with ID 1, count per action.

Port of github.com/xdp-project/xdp-tutorial packet02-rewriting/xdp_prog_kern.c as the tutorial
solves it (packet-solutions/xdp_prog_kern_02.c: ``xdp_patch_ports_func``,
``xdp_vlan_swap_func``, ``xdp_pass_func``; ``vlan_tag_pop``/``vlan_tag_push`` from
common/rewrite_helpers.h; the parsers of common/parsing_helpers.h; the counters of
common/xdp_stats_kern.h), with xdp_loader's ``--dev``/``--progname`` and xdp_stats's table in
one process:

    sudo python examples/ports/xdp_rewriting.py --dev IFACE --progname xdp_vlan_swap_func

As in the original, the port rewrite leaves the transport checksum as it was (the lesson
fixes checksums later; ``helpers.l4_csum_replace`` does it in tc).  ``bpf_xdp_adjust_head``
moves the packet, so the functions copy what they need first and load the headers again
after it (a reference kept across it is a compile error, E337).  Left out: pinning the stats
map for a separate xdp_stats process.
"""
from ebpfpy import (XDP_ABORTED, XDP_PASS, PerCpuArray, XdpContext, bpf_function, bpf_program,
                    helpers, struct, i32, u8, u16, u32, u64)

XDP_ACTION_MAX = 5
VLAN_MAX_DEPTH = 4
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
IPPROTO_TCP = 6
IPPROTO_UDP = 17


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
class IpHdr:
    ihl_version: u8
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
class Ipv6Hdr:
    priority_version: u8
    flow_lbl: u8[3]
    payload_len: u16
    nexthdr: u8
    hop_limit: u8
    saddr: u8[16]
    daddr: u8[16]


@struct
class UdpHdr:
    source: u16
    dest: u16
    len: u16
    check: u16


@struct
class TcpHdr:
    source: u16
    dest: u16
    seq: u32
    ack_seq: u32
    doff_res: u8                        # data offset in the high nibble
    flags: u8
    window: u16
    check: u16
    urg_ptr: u16


@bpf_function
def xdp_stats_record_action(ctx: XdpContext, action: u32) -> u32:
    """Count the packet and its bytes under its action; the action."""
    if action >= XDP_ACTION_MAX:
        return XDP_ABORTED
    rec = xdp_stats_map.lookup(action)
    if rec is None:
        return XDP_ABORTED
    rec.rx_packets += 1
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
def parse_iphdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The protocol, nh past the IPv4 header and its options; -1 if cut off."""
    iph = ctx.load(IpHdr, nh.pos)
    if iph is None:
        return -1
    hdrsize = u32(iph.ihl_version & 0xF) * 4
    if hdrsize < 20:
        return -1
    last = ctx.load(u8, nh.pos + hdrsize - 1)
    if last is None:
        return -1
    nh.pos += hdrsize
    return i32(iph.protocol)


@bpf_function
def parse_ip6hdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The next header's protocol, nh past the IPv6 header; -1 if cut off."""
    ip6h = ctx.load(Ipv6Hdr, nh.pos)
    if ip6h is None:
        return -1
    nh.pos += 40
    return i32(ip6h.nexthdr)


@bpf_function
def parse_udphdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The UDP payload's length, nh past the header; -1 if cut off or shorter than 8."""
    h = ctx.load(UdpHdr, nh.pos)
    if h is None:
        return -1
    nh.pos += 8
    length = i32(helpers.ntohs(h.len)) - 8
    if length < 0:
        return -1
    return length


@bpf_function
def parse_tcphdr(ctx: XdpContext, nh: Cursor) -> i32:
    """The TCP header's length (options included), nh past its fixed part; -1 if cut off."""
    h = ctx.load(TcpHdr, nh.pos)
    if h is None:
        return -1
    length = u32(h.doff_res >> 4) * 4
    if length < 20:
        return -1
    last = ctx.load(u8, nh.pos + length - 1)
    if last is None:
        return -1
    nh.pos += 20
    return i32(length)


@bpf_function
def vlan_tag_pop(ctx: XdpContext) -> i32:
    """Pop the outermost VLAN tag: its TCI, or -1."""
    eth = ctx.load(EthHdr, 0)
    vlh = ctx.load(VlanHdr, 14)
    if eth is None or vlh is None:
        return -1
    proto = helpers.ntohs(eth.h_proto)
    if proto != ETH_P_8021Q and proto != ETH_P_8021AD:
        return -1
    vlid = i32(helpers.ntohs(vlh.h_vlan_TCI))
    h_proto = vlh.h_vlan_encapsulated_proto
    eth_cpy = EthHdr()                  # the addresses, before they are cut off
    eth_cpy.h_dest = eth.h_dest
    eth_cpy.h_source = eth.h_source
    if helpers.xdp_adjust_head(ctx, 4) != 0:
        return -1
    eth = ctx.load(EthHdr, 0)           # the packet moved: load it again
    if eth is None:
        return -1
    eth.h_dest = eth_cpy.h_dest
    eth.h_source = eth_cpy.h_source
    eth.h_proto = h_proto
    return vlid


@bpf_function
def vlan_tag_push(ctx: XdpContext, vlid: u16) -> i32:
    """Push a VLAN tag with ID vlid after the MAC addresses: 0, or -1."""
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return -1
    eth_cpy = EthHdr()
    eth_cpy.h_dest = eth.h_dest
    eth_cpy.h_source = eth.h_source
    eth_cpy.h_proto = eth.h_proto
    if helpers.xdp_adjust_head(ctx, -4) != 0:
        return -1
    eth = ctx.load(EthHdr, 0)
    vlh = ctx.load(VlanHdr, 14)
    if eth is None or vlh is None:
        return -1
    eth.h_dest = eth_cpy.h_dest
    eth.h_source = eth_cpy.h_source
    vlh.h_vlan_TCI = helpers.htons(vlid)
    vlh.h_vlan_encapsulated_proto = eth_cpy.h_proto
    eth.h_proto = helpers.htons(ETH_P_8021Q)
    return 0


@bpf_program("xdp")
def xdp_patch_ports_func(ctx) -> int:
    action = u32(XDP_PASS)
    nh = Cursor()
    eth_type = parse_ethhdr(ctx, nh)
    ip_type = i32(-1)
    if eth_type < 0:
        action = XDP_ABORTED
    elif eth_type == ETH_P_IP:
        ip_type = parse_iphdr(ctx, nh)
    elif eth_type == ETH_P_IPV6:
        ip_type = parse_ip6hdr(ctx, nh)
    at = nh.pos
    if ip_type == IPPROTO_UDP:
        if parse_udphdr(ctx, nh) < 0:
            action = XDP_ABORTED
        else:
            udph = ctx.load(UdpHdr, at)
            if udph is not None:
                udph.dest = helpers.htons(helpers.ntohs(udph.dest) - 1)
    elif ip_type == IPPROTO_TCP:
        if parse_tcphdr(ctx, nh) < 0:
            action = XDP_ABORTED
        else:
            tcph = ctx.load(TcpHdr, at)
            if tcph is not None:
                tcph.dest = helpers.htons(helpers.ntohs(tcph.dest) - 1)
    return xdp_stats_record_action(ctx, action)


@bpf_program("xdp")
def xdp_vlan_swap_func(ctx) -> int:
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return XDP_PASS
    proto = helpers.ntohs(eth.h_proto)
    if proto == ETH_P_8021Q or proto == ETH_P_8021AD:
        vlan_tag_pop(ctx)
    else:
        vlan_tag_push(ctx, 1)
    return XDP_PASS


@bpf_program("xdp")
def xdp_pass_func(ctx) -> int:
    return XDP_PASS


def main(argv=None) -> None:
    import os
    import sys
    import time

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ebpfpy
    from trace_helpers import Interrupted, base_parser
    from xdp_stats import stats_poll

    p = base_parser("XDP rewriting: ports, VLAN tags")
    p.add_argument("-d", "--dev", required=True, help="Operate on device <ifname>")
    p.add_argument("--progname", default="xdp_patch_ports_func",
                   choices=["xdp_patch_ports_func", "xdp_vlan_swap_func", "xdp_pass_func"])
    p.add_argument("--interval", type=float, default=2.0, help="seconds between tables")
    args = p.parse_args(argv)
    with ebpfpy.load(__file__) as obj, obj.programs[args.progname].attach(iface=args.dev):
        print(f"Success: Loaded BPF-object({os.path.basename(__file__)}) and used section"
              f"({args.progname})\n - XDP prog attached on device:{args.dev}", flush=True)
        stop = Interrupted()
        end = time.monotonic() + args.duration if args.duration else None
        stats_poll(obj.maps.xdp_stats_map, args.interval,
                   lambda: not stop.exiting and (end is None or time.monotonic() < end),
                   out=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
