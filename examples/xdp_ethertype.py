"""Count packets by ethertype with XDP, then let every packet pass.

    python examples/xdp_ethertype.py IFACE [SECONDS]

attaches to IFACE (XDP, generic or native as libbpf chooses), waits SECONDS (default 5) and
prints one line per ethertype seen, e.g. ``0x0800 IPv4  12``.  An 802.1Q/802.1ad tagged frame
counts under the ethertype inside its (outer) tag; a frame too short for its headers counts
under 0.  (The kernel's own XDP path never hands over fewer than 14 bytes, so "too short"
means a tag that is cut off.)
"""
from ebpfpy import bpf_program, struct, PerCpuHashMap, XDP_PASS, u8, u16, u64, helpers

ETH_TOO_SHORT = 0           # key for frames shorter than their headers
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8


@struct
class EthHdr:
    dst: u8[6]
    src: u8[6]
    proto: u16              # big-endian on the wire


@struct
class VlanHdr:
    tci: u16
    proto: u16              # the encapsulated ethertype, big-endian


counts = PerCpuHashMap(u16, u64, max_entries=64)     # host-order ethertype -> packets


@bpf_program("xdp")
def count_ethertype(ctx) -> int:
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        counts[ETH_TOO_SHORT] += 1
        return XDP_PASS
    proto = helpers.ntohs(eth.proto)
    if proto == ETH_P_8021Q or proto == ETH_P_8021AD:
        vlan = ctx.load(VlanHdr, 14)
        if vlan is None:
            counts[ETH_TOO_SHORT] += 1
            return XDP_PASS
        proto = helpers.ntohs(vlan.proto)
    counts[proto] += 1
    return XDP_PASS


NAMES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "VLAN", 0x88A8: "QinQ", ETH_TOO_SHORT: "short"}


def totals(counts_map) -> dict[int, int]:
    """Per-CPU counts summed: ``{ethertype: packets}``."""
    return {proto: sum(per_cpu) for proto, per_cpu in counts_map.items()}


if __name__ == "__main__":
    import sys
    import time

    import ebpfpy

    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} IFACE [SECONDS]")
    iface, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    with ebpfpy.load(__file__) as obj:
        with obj.programs.count_ethertype.attach(iface=iface):
            print(f"counting on {iface} for {seconds:g} s", flush=True)
            time.sleep(seconds)
        for proto, n in sorted(totals(obj.maps.counts).items()):
            print(f"0x{proto:04x} {NAMES.get(proto, '?'):5} {n}")
