"""Step 9: L7 — reading HTTP requests out of packets, in the kernel.

    python examples/tutorial/10_http.py

A socket filter on a packet socket sees every packet crossing an interface, in both
directions, and cannot change one: a safe place to look inside TCP payloads.  This step counts
HTTP requests by method and path: it copies the first bytes of each segment (``ctx.load`` in
a socket filter is ``bpf_skb_load_bytes``: a copy, ``None`` when the packet is shorter) and
walks them with bounded loops.  The userspace part makes a network namespace behind a veth
pair, runs ``python -m http.server`` in it, sends a few requests with ``urllib`` and
``http.client``, and prints what the kernel counted.  examples/http_stats.py is the full
parser (headers, ``Host``, status codes per path, hostile input): see docs/l7.md.
"""
from ebpfpy import bpf_program, struct, helpers, HashMap, SkbContext, u8, u16, u32, u64

LINE = 48                   # payload bytes looked at: shorter segments are skipped
PATH_LEN = 32               # path bytes kept (a longer path is cut)
SP = 0x20


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
class TcpHdr:
    ports: u32
    seq: u32
    ack_seq: u32
    doff: u8                # data offset in the high 4 bits
    flags: u8
    window: u16
    check: u16
    urg_ptr: u16


@struct
class Line:
    b: u8[LINE]


@struct
class Request:
    method: u8[8]
    path: u8[PATH_LEN]


requests = HashMap(Request, u64, max_entries=1024)


@bpf_program("socket")
def http_requests(ctx: SkbContext) -> int:
    """Count "METHOD /path ..." segments; keep nothing for the socket (return 0)."""
    ip = ctx.load(IpHdr, 0)                 # the packet socket starts at the IP header
    if ip is None or ip.ver_ihl >> 4 != 4 or ip.protocol != 6:
        return 0
    ihl = u32(ip.ver_ihl & 0x0F) * 4
    tcp = ctx.load(TcpHdr, ihl)
    if tcp is None:
        return 0
    start = ihl + u32(tcp.doff >> 4) * 4
    if u32(helpers.ntohs(ip.tot_len)) < start + LINE:
        return 0                            # no payload, or too little to look at
    line = ctx.load(Line, start)
    if line is None:
        return 0
    key = Request()
    sp = u32(0)                             # where the method ends
    for i in range(8):
        c = line.b[i]
        if c == SP:
            sp = i
            break
        if c < 0x41 or c > 0x5A:            # methods are upper-case letters
            return 0
        key.method[i] = c
    if sp == 0:
        return 0
    for i in range(PATH_LEN):
        j = sp + 1 + i
        if j >= LINE:
            break
        c = line.b[j]
        if c <= SP:                         # the space before HTTP/1.x, or a control byte
            break
        key.path[i] = c
    requests[key] += 1
    return 0


if __name__ == "__main__":
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.error
    import urllib.request

    import ebpfpy

    ns, host, peer = f"ebpfpy-tut{os.getpid()}", f"ebt{os.getpid()}h", f"ebt{os.getpid()}p"
    net = f"10.236.{os.getpid() % 250}"
    port = 8000

    def ip_cmd(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    try:
        ip_cmd("netns", "add", ns)
        ip_cmd("link", "add", host, "type", "veth", "peer", "name", peer)
        ip_cmd("link", "set", peer, "netns", ns)
        ip_cmd("addr", "add", f"{net}.1/24", "dev", host)
        ip_cmd("link", "set", host, "up")
        ip_cmd("-n", ns, "addr", "add", f"{net}.2/24", "dev", peer)
        ip_cmd("-n", ns, "link", "set", peer, "up")
        with tempfile.TemporaryDirectory() as www:
            with open(os.path.join(www, "index.html"), "w") as f:
                f.write("hello\n")
            server = subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable, "-m", "http.server", str(port),
                 "--bind", f"{net}.2", "--directory", www],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(200):                        # until it accepts connections
                    try:
                        socket.create_connection((f"{net}.2", port), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.05)
                ETH_P_ALL = 0x0003                          # both directions of the interface
                with ebpfpy.load(__file__, log_level=4) as obj, \
                        socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                      socket.htons(ETH_P_ALL)) as tap:
                    tap.bind((host, ETH_P_ALL))
                    stats = obj.programs.http_requests.log.splitlines()[-1]
                    print(f"the verifier accepted http_requests: {stats}")
                    with obj.programs.http_requests.attach(sock=tap):
                        for path in ("/index.html", "/index.html", "/missing"):
                            try:
                                urllib.request.urlopen(f"http://{net}.2:{port}{path}").read()
                            except urllib.error.HTTPError as e:
                                print(f"urllib: {path}: {e.code} {e.reason}")
                        c = http.client.HTTPConnection(f"{net}.2", port)
                        c.request("HEAD", "/")
                        print(f"http.client: HEAD /: {c.getresponse().status}")
                        c.close()
                    print("the kernel counted:")
                    for k, n in sorted(obj.maps.requests.items(), key=lambda kv: bytes(kv[0].path)):
                        method, path = (bytes(b).rstrip(b"\0").decode() for b in (k.method, k.path))
                        print(f"  {method:5} {path:12} {n}")
            finally:
                server.terminate()
                server.wait()
    finally:
        subprocess.run(["ip", "link", "del", host], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
