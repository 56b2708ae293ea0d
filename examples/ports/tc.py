"""tc: a tc ingress classifier printing each IPv4 packet's total length and TTL.

Port of libbpf-bootstrap's examples/c/tc.bpf.c and tc.c (github.com/libbpf/libbpf-bootstrap):
``tc_ingress`` checks ``skb->protocol``, bounds-checks the Ethernet and IP headers and
``bpf_printk``s "Got IP packet: tot_len: %d, ttl: %d"; userspace creates the clsact hook on
the loopback device (unless it exists), attaches with handle 1 and priority 1, prints a dot a
second until Ctrl-C, then detaches (and removes the hook if it made it).  Added: ``-i`` picks
another device than ``lo`` (the tests use a veth pair).  Left out: nothing.

    sudo python examples/ports/tc.py     # then: sudo cat /sys/kernel/tracing/trace_pipe
"""
from ebpfpy import TC_ACT_OK, SkbContext, bpf_program, helpers, struct, u8, u16, u32

ETH_P_IP = 0x0800


@struct
class EthHdr:
    h_dest: u8[6]
    h_source: u8[6]
    h_proto: u16


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


@bpf_program("tc")
def tc_ingress(ctx: SkbContext) -> int:
    if ctx.protocol != helpers.htons(ETH_P_IP):
        return TC_ACT_OK
    l2 = ctx.load(EthHdr, 0)
    if l2 is None:
        return TC_ACT_OK
    l3 = ctx.load(IpHdr, 14)                        # (struct iphdr *)(l2 + 1)
    if l3 is None:
        return TC_ACT_OK
    helpers.printk("Got IP packet: tot_len: %d, ttl: %d", helpers.ntohs(l3.tot_len), l3.ttl)
    return TC_ACT_OK


def main(argv=None) -> None:
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser

    p = base_parser("Print the length and TTL of IPv4 packets arriving on the loopback device.")
    p.add_argument("-i", "--interface", default="lo", help="device (default: lo)")
    args = p.parse_args(argv)
    with ebpfpy.load(__file__) as obj:
        with obj.programs.tc_ingress.attach(iface=args.interface, direction="ingress",
                                            handle=1, priority=1):
            stop = Interrupted()
            print("Successfully started! Please run `sudo cat /sys/kernel/debug/tracing/trace_pipe` "
                  "to see output of the BPF program.", flush=True)
            end = time.monotonic() + args.duration if args.duration else None
            while not stop.exiting and (end is None or time.monotonic() < end):
                sys.stderr.write(".")
                sys.stderr.flush()
                time.sleep(1)


if __name__ == "__main__":
    main()
