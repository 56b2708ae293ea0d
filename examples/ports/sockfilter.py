"""sockfilter: a socket filter on a raw packet socket reporting each IPv4 packet's addresses,
protocol and ports through a ring buffer.

Port of libbpf-bootstrap's examples/c/sockfilter.bpf.c, sockfilter.c and sockfilter.h
(github.com/libbpf/libbpf-bootstrap): ``socket_handler`` reads the EtherType, skips
fragments, and sends a ``struct so_event`` (addresses, the four bytes after the IP header as
the ports, protocol, packet type, ifindex); userspace opens an ``AF_PACKET`` socket bound to
``-i INTERFACE`` (default ``lo``), attaches the filter, and prints packets addressed to this
host.  The C reads packet bytes with ``bpf_skb_load_bytes``; here ``ctx.load(T, offset)``
reads them (the same helper underneath in a socket filter).  The event's ``union { __be32
ports; __be16 port16[2]; }`` is its ``ports`` word, split in userspace.  Left out: nothing.

    sudo python examples/ports/sockfilter.py [-i INTERFACE]
"""
from ebpfpy import RingBuf, SkbContext, bpf_function, bpf_program, helpers, struct, u8, u16, u32

IP_MF = 0x2000
IP_OFFSET = 0x1FFF
ETH_HLEN = 14
ETH_P_IP = 0x0800
IPPROTO_GRE = 47


@struct
class SoEvent:
    src_addr: u32
    dst_addr: u32
    ports: u32
    ip_proto: u32
    pkt_type: u32
    ifindex: u32


@struct
class Be16:
    v: u16


@struct
class Be32:
    v: u32


@struct
class Byte:
    v: u8


rb = RingBuf(256 * 1024, event=SoEvent)


@bpf_function
def ip_is_fragment(skb: SkbContext, nhoff: u32) -> bool:
    frag_off = skb.load(Be16, nhoff + 6)            # offsetof(struct iphdr, frag_off)
    if frag_off is None:
        return False
    return (helpers.ntohs(frag_off.v) & (IP_MF | IP_OFFSET)) != 0


@bpf_program("socket")
def socket_handler(skb: SkbContext) -> int:
    nhoff: u32 = ETH_HLEN
    proto = skb.load(Be16, 12)
    if proto is None or helpers.ntohs(proto.v) != ETH_P_IP:
        return 0
    if ip_is_fragment(skb, nhoff):
        return 0
    e = rb.reserve()
    if e is None:
        return 0
    ip_proto = skb.load(Byte, nhoff + 9)            # offsetof(struct iphdr, protocol)
    if ip_proto is not None:
        e.ip_proto = ip_proto.v
    if e.ip_proto != IPPROTO_GRE:
        saddr = skb.load(Be32, nhoff + 12)
        daddr = skb.load(Be32, nhoff + 16)
        if saddr is not None and daddr is not None:
            e.src_addr = saddr.v
            e.dst_addr = daddr.v
    verlen = skb.load(Byte, nhoff)
    if verlen is not None:
        ports = skb.load(Be32, nhoff + ((u32(verlen.v) & 0xF) << 2))
        if ports is not None:
            e.ports = ports.v
    e.pkt_type = skb.pkt_type
    e.ifindex = skb.ifindex
    rb.submit(e)
    return skb.len


IPPROTO_NAMES = {0: "IP", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 12: "PUP",
                 17: "UDP", 22: "IDP", 29: "TP", 33: "DCCP", 41: "IPV6", 46: "RSVP", 47: "GRE",
                 50: "ESP", 51: "AH", 92: "MTP", 94: "BEETPH", 98: "ENCAP", 103: "PIM",
                 108: "COMP", 132: "SCTP", 136: "UDPLITE", 137: "MPLS", 255: "RAW"}
PACKET_HOST = 0
IPPROTO_MAX = 263


def main(argv=None) -> None:
    import argparse
    import socket

    import ebpfpy
    from trace_helpers import poll_events

    p = argparse.ArgumentParser(description="BPF socket filter demo application.\n\nThis "
                                "program watch network packet of specified interface and print "
                                "out src/dst information.\n\nCurrently only IPv4 is supported.")
    p.add_argument("-i", "--interface", default="lo", help="Network interface to attach")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)

    def handle(e) -> None:
        if e.pkt_type != PACKET_HOST or not 0 <= e.ip_proto < IPPROTO_MAX:
            return
        try:
            ifname = socket.if_indextoname(e.ifindex)
        except OSError:
            return
        raw = e.ports.to_bytes(4, "little")         # the union's port16[0], port16[1]
        sport, dport = int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:], "big")
        src = socket.inet_ntoa(e.src_addr.to_bytes(4, "little"))
        dst = socket.inet_ntoa(e.dst_addr.to_bytes(4, "little"))
        print(f"interface: {ifname}\tprotocol: {IPPROTO_NAMES.get(e.ip_proto, '(null)')}\t"
              f"{src}:{sport}(src) -> {dst}:{dport}(dst)", flush=True)

    with ebpfpy.load(__file__) as obj:
        # a raw socket for the interface (open_raw_sock): ETH_P_ALL, bound to its index
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK,
                             socket.htons(0x0003))
        with sock:
            sock.bind((args.interface, 0x0003))
            with obj.programs.socket_handler.attach(sock=sock):
                poll_events(obj.maps.rb, handle, args.duration)


if __name__ == "__main__":
    main()
