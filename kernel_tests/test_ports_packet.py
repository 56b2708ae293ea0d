"""The xdp-tutorial packet lessons ported to examples/ports/ (xdp_parsing.py: packet01,
xdp_rewriting.py: packet02).  Each program runs on crafted frames through BPF_PROG_TEST_RUN
and its verdict, output frame and counters are compared with the same logic written in plain
Python over the bytes; xdp_parsing also runs as its users run it, attached to a veth while a
namespace pings across, and its xdp_stats table is checked against the pings' sequence numbers.
"""
from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

import ebpfpy

ROOT = Path(__file__).resolve().parent.parent
PORTS = ROOT / "examples" / "ports"
ABORTED, DROP, PASS = ebpfpy.XDP_ABORTED, ebpfpy.XDP_DROP, ebpfpy.XDP_PASS
VLAN_TPIDS = (0x8100, 0x88A8)


# ------------------------------------------------------------------ frames
def eth(proto: int, body: bytes, vlans: tuple[int, ...] = (), tci: int = 5) -> bytes:
    head = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])
    for tpid in vlans:
        head += struct.pack("!HH", tpid, tci)
    return head + struct.pack("!H", proto) + body


def ipv4(proto: int, payload: bytes, ihl: int = 5) -> bytes:
    opts = bytes(4 * (ihl - 5))
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), 1, 0, 64,
                       proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + opts + payload


def ipv6(nexthdr: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nexthdr, 64, bytes(16),
                       bytes(15) + b"\1") + payload


def icmp(type_: int, seq: int) -> bytes:
    return struct.pack("!BBHHH", type_, 0, 0, 0x1234, seq) + b"payload"


def udp(dport: int, length: int | None = None) -> bytes:
    return struct.pack("!HHHH", 4000, dport, 12 if length is None else length, 0) + b"abcd"


def tcp(dport: int, doff: int = 5) -> bytes:
    return struct.pack("!HHIIBBHHH", 4000, dport, 1, 0, doff << 4, 0x02, 1024, 0, 0) + \
        bytes(4 * (doff - 5))


# ------------------------------------------------------------------ the C logic, in Python
def parse_eth(data: bytes) -> tuple[int, int]:
    """parse_ethhdr: (EtherType after up to 4 VLAN tags, offset), (-1, 0) when cut off."""
    if len(data) < 14:
        return -1, 0
    (proto,) = struct.unpack_from("!H", data, 12)
    pos = 14
    for _ in range(4):
        if proto not in VLAN_TPIDS or len(data) < pos + 4:
            break
        (proto,) = struct.unpack_from("!H", data, pos + 2)
        pos += 4
    return proto, pos


def parse_ip(data: bytes, proto: int, pos: int) -> tuple[int, int]:
    """parse_iphdr / parse_ip6hdr: (next protocol, offset after), (-1, pos) if cut off."""
    if proto == 0x86DD:
        return (data[pos + 6], pos + 40) if len(data) >= pos + 40 else (-1, pos)
    if len(data) < pos + 20 or (data[pos] & 0xF) < 5 or len(data) < pos + (data[pos] & 0xF) * 4:
        return -1, pos
    return data[pos + 9], pos + (data[pos] & 0xF) * 4


def model_parser(data: bytes) -> int:
    """xdp_parser_func: drop an ICMP/ICMPv6 echo request with an even sequence number."""
    proto, pos = parse_eth(data)
    if proto not in (0x0800, 0x86DD):
        return PASS
    l4, pos = parse_ip(data, proto, pos)
    want = (1, 8) if proto == 0x0800 else (58, 128)
    if l4 != want[0] or len(data) < pos + 8 or data[pos] != want[1]:
        return PASS
    return DROP if struct.unpack_from("!H", data, pos + 6)[0] % 2 == 0 else PASS


def model_patch_ports(data: bytes) -> tuple[int, bytes]:
    """xdp_patch_ports_func: (action, frame) with the UDP/TCP destination port - 1."""
    proto, pos = parse_eth(data)
    if proto < 0:
        return ABORTED, data
    if proto not in (0x0800, 0x86DD):
        return PASS, data
    l4, pos = parse_ip(data, proto, pos)
    if l4 == 17:
        if len(data) < pos + 8 or struct.unpack_from("!H", data, pos + 4)[0] < 8:
            return ABORTED, data
    elif l4 == 6:
        doff = data[pos + 12] >> 4 if len(data) >= pos + 20 else 0
        if doff < 5 or len(data) < pos + doff * 4:
            return ABORTED, data
    else:
        return PASS, data
    (dport,) = struct.unpack_from("!H", data, pos + 2)
    return PASS, data[:pos + 2] + struct.pack("!H", (dport - 1) % 65536) + data[pos + 4:]


def model_vlan_swap(data: bytes) -> bytes:
    """xdp_vlan_swap_func: pop the outer tag if there is one, else push one with ID 1."""
    if len(data) < 14:
        return data
    if struct.unpack_from("!H", data, 12)[0] in VLAN_TPIDS:
        return data[:12] + data[16:] if len(data) >= 18 else data
    return data[:12] + struct.pack("!HH", 0x8100, 1) + data[12:]


PARSER_FRAMES = {
    "icmp-echo-seq1": eth(0x0800, ipv4(1, icmp(8, 1))),
    "icmp-echo-seq2": eth(0x0800, ipv4(1, icmp(8, 2))),
    "icmp-reply-seq2": eth(0x0800, ipv4(1, icmp(0, 2))),
    "icmp-options-seq4": eth(0x0800, ipv4(1, icmp(8, 4), ihl=6)),
    "icmp-vlan-seq6": eth(0x0800, ipv4(1, icmp(8, 6)), vlans=(0x8100,)),
    "icmp-qinq-seq7": eth(0x0800, ipv4(1, icmp(8, 7)), vlans=(0x88A8, 0x8100)),
    "icmpv6-echo-seq8": eth(0x86DD, ipv6(58, icmp(128, 8))),
    "icmpv6-echo-seq9": eth(0x86DD, ipv6(58, icmp(128, 9))),
    "icmpv6-reply-seq8": eth(0x86DD, ipv6(58, icmp(129, 8))),
    "icmp-cut": eth(0x0800, ipv4(1, icmp(8, 2))[:24]),
    "udp": eth(0x0800, ipv4(17, udp(53))),
    "arp": eth(0x0806, bytes(28)),
    "five-tags": eth(0x0800, ipv4(1, icmp(8, 2)), vlans=(0x8100,) * 5),
}

REWRITE_FRAMES = {
    "udp4": eth(0x0800, ipv4(17, udp(53))),
    "udp4-port0": eth(0x0800, ipv4(17, udp(0))),
    "udp6": eth(0x86DD, ipv6(17, udp(1000))),
    "tcp4": eth(0x0800, ipv4(6, tcp(80))),
    "tcp4-options": eth(0x0800, ipv4(6, tcp(443, doff=8))),
    "tcp6-vlan": eth(0x86DD, ipv6(6, tcp(22)), vlans=(0x8100,)),
    "udp-short-len": eth(0x0800, ipv4(17, udp(53, length=4))),
    "tcp-cut-options": eth(0x0800, ipv4(6, tcp(80, doff=15)[:30])),
    "icmp": eth(0x0800, ipv4(1, icmp(8, 1))),
    "arp": eth(0x0806, bytes(28)),
    "vlan-tagged": eth(0x0800, ipv4(17, udp(7)), vlans=(0x8100,), tci=0x2007),
    "qinq": eth(0x0800, ipv4(17, udp(7)), vlans=(0x88A8, 0x8100)),
    "cut": eth(0x0800, b"")[:14],
}


@pytest.fixture(scope="module")
def parsing() -> Iterator[ebpfpy.BpfObject]:
    with ebpfpy.load(str(PORTS / "xdp_parsing.py")) as o:
        yield o


@pytest.fixture(scope="module")
def rewriting() -> Iterator[ebpfpy.BpfObject]:
    with ebpfpy.load(str(PORTS / "xdp_rewriting.py")) as o:
        yield o


def totals(stats_map) -> list[tuple[int, int]]:
    return [(sum(v.rx_packets for v in stats_map[a]), sum(v.rx_bytes for v in stats_map[a]))
            for a in range(5)]


def test_parser_verdicts_and_counters(parsing) -> None:
    want = [[0, 0] for _ in range(5)]
    for name, data in sorted(PARSER_FRAMES.items()):
        action = model_parser(data)
        r = parsing.programs.xdp_parser_func.test_run(data=data)
        assert (name, r.retval) == (name, action)
        assert r.data == data
        want[action][0] += 1
        want[action][1] += len(data)
    assert totals(parsing.maps.xdp_stats_map) == [tuple(w) for w in want]
    assert want[DROP][0] == 4           # the even echo requests, tagged or not, v4 and v6


@pytest.mark.parametrize("name", sorted(REWRITE_FRAMES))
def test_patch_ports(rewriting, name: str) -> None:
    data = REWRITE_FRAMES[name]
    r = rewriting.programs.xdp_patch_ports_func.test_run(data=data)
    assert (r.retval, r.data) == model_patch_ports(data)


@pytest.mark.parametrize("name", sorted(REWRITE_FRAMES))
def test_vlan_swap(rewriting, name: str) -> None:
    data = REWRITE_FRAMES[name]
    r = rewriting.programs.xdp_vlan_swap_func.test_run(data=data)
    assert r.retval == PASS and r.data == model_vlan_swap(data)
    if len(data) >= 14:                 # swapping twice gives the frame back, tag or not
        again = rewriting.programs.xdp_vlan_swap_func.test_run(data=r.data).data
        want_tci = struct.unpack_from("!H", data, 14)[0] if len(data) >= 18 and \
            struct.unpack_from("!H", data, 12)[0] in VLAN_TPIDS else 1
        assert again == model_vlan_swap(r.data)
        if want_tci == 1:
            assert again == data


def test_pass(rewriting) -> None:
    data = REWRITE_FRAMES["udp4"]
    assert rewriting.programs.xdp_pass_func.test_run(data=data).retval == PASS


# ------------------------------------------------------------------ as a user runs it
TABLE_LINE = re.compile(r"^(XDP_\w+)\s+([\d,]+) pkts \(\s*[\d,]+ pps\)\s+([\d,]+) Kbytes "
                        r"\(\s*[\d,]+ Mbits/s\) period:\d+\.\d{6}$")


# ping -c 4 without the ping binary: echo requests 1..4 on a raw ICMP socket, printing the
# sequence numbers answered
PING = """
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    return ~(s + (s >> 16)) & 0xFFFF
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(0.3)
for seq in range(1, 5):
    msg = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + b"ebpfpy-ping-data"
    sock.sendto(msg[:2] + struct.pack("!H", csum(msg)) + msg[4:], (sys.argv[1], 0))
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        try:
            pkt = sock.recv(2048)
        except socket.timeout:
            break
        t, _c, _s, ident, got = struct.unpack_from("!BBHHH", pkt, (pkt[0] & 15) * 4)
        if t == 0 and ident == 0x4242 and got == seq:
            print(seq)
            break
"""


def test_parser_port_on_a_veth(netns_veth) -> None:
    """ping -c 4 across the veth: requests 2 and 4 are dropped by the XDP program on the host
    end, 1 and 3 answered; the last table counts the two drops."""
    env = dict(os.environ, EBPFPY_NO_SERVER="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(PORTS / "xdp_parsing.py"), "--dev",
                             netns_veth.host, "--interval", "0.5"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        first = proc.stdout.readline()
        assert first.startswith("Success: Loaded BPF-object(xdp_parsing.py)"), proc.stderr.read()
        ping = netns_veth.in_netns(sys.executable, "-c", PING, netns_veth.host_addr)
        assert ping.stdout.split() == ["1", "3"], (ping.stdout, ping.stderr)
        time.sleep(1.2)                 # one more table after the last ping
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    tables = out.split("XDP-action")
    assert len(tables) >= 3
    rows = {}
    for line in tables[-1].strip().splitlines():
        m = TABLE_LINE.match(line)
        assert m, line
        rows[m.group(1)] = int(m.group(2).replace(",", ""))
    assert list(rows) == ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]
    assert rows["XDP_DROP"] == 2 and rows["XDP_PASS"] >= 2
    assert rows["XDP_ABORTED"] == rows["XDP_TX"] == rows["XDP_REDIRECT"] == 0
