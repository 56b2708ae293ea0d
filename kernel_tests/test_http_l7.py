"""examples/http_stats.py on real traffic: ``http.server`` in a network namespace behind a veth
pair, ``urllib``/``http.client`` and raw sockets on the host side, the socket filter on the
host end of the pair.  Every count is asserted exactly, hostile requests included, and the
client must receive the server's bytes intact (the filter observes; it keeps nothing for its
socket and cannot change a packet).  The cost per packet against C is benchmarks/http.py."""
from __future__ import annotations

import http.client
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import http_stats  # noqa: E402

INDEX = b"<p>hello from the namespace</p>\n" * 4
STATUS_LINE = re.compile(rb"HTTP/1\.\d (\d{3})[ \r]")


@dataclass
class Net:
    netns: str
    host: str
    peer: str
    host_addr: str
    peer_addr: str


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def net() -> Iterator[Net]:
    """A namespace of its own joined by a veth pair; names and subnet unique to this process
    (other test runs on the machine use 10.231.x.x)."""
    pid = os.getpid()
    n = Net(f"ebpfpy-http{pid}", f"ebh{pid}h", f"ebh{pid}p",
            f"10.234.{pid % 250}.1", f"10.234.{pid % 250}.2")
    try:
        _ip("netns", "add", n.netns)
        _ip("link", "add", n.host, "type", "veth", "peer", "name", n.peer)
        _ip("link", "set", n.peer, "netns", n.netns)
        _ip("addr", "add", f"{n.host_addr}/24", "dev", n.host)
        _ip("link", "set", n.host, "up")
        _ip("-n", n.netns, "addr", "add", f"{n.peer_addr}/24", "dev", n.peer)
        _ip("-n", n.netns, "link", "set", n.peer, "up")
        _ip("-n", n.netns, "link", "set", "lo", "up")
        yield n
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        pytest.skip(f"cannot create a veth pair in a network namespace: {e}")
    finally:
        _ip("link", "del", n.host, check=False)
        _ip("netns", "del", n.netns, check=False)


@pytest.fixture
def server(net: Net, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """``python -m http.server`` (HTTP/1.0: one request per connection) in the namespace,
    serving ``index.html``; returns its address once it accepts connections."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_bytes(INDEX)
    port = 8000 + os.getpid() % 1000
    proc = subprocess.Popen(["ip", "netns", "exec", net.netns, sys.executable, "-m", "http.server",
                             str(port), "--bind", net.peer_addr, "--directory", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((net.peer_addr, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("http.server did not start in the namespace")
                time.sleep(0.05)
        yield net.peer_addr, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def raw_exchange(addr: tuple[str, int], data: bytes) -> bytes:
    """Send ``data`` on a fresh connection, close our side, read until the server closes."""
    with socket.create_connection(addr, timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def status_of(reply: bytes) -> int | None:
    m = STATUS_LINE.match(reply)
    return int(m.group(1)) if m else None


# (bytes sent, what the filter makes of it: ("count", method, path, host) or a stats name)
LONG_PATH = b"/" + b"a" * 3000
HOSTILE = [
    (b"GET /", "short"),                                            # 5 bytes
    (b"GET /truncated-request-line", "incomplete"),                 # no line end, then EOF
    (b"GET /cut-headers HTTP/1.1\r\nHost: cut.example\r\nX-Par",    # headers cut off
     ("count", "GET", "/cut-headers", "cut.example")),
    (b"GET /half-host HTTP/1.1\r\nHost: half.exa", ("count", "GET", "/half-host", "")),
    (b"GET " + LONG_PATH + b" HTTP/1.1\r\nHost: long.example\r\n\r\n",    # over-long line
     ("count", "GET", "/" + "a" * 63 + "...", "")),
    (b"GET /long-header HTTP/1.1\r\nX-Junk: " + b"b" * 3000 + b"\r\nHost: after.example\r\n\r\n",
     ("count", "GET", "/long-header", "")),                         # Host beyond SCAN bytes
    (bytes(range(255, -1, -1)) * 4, "other"),                       # binary garbage
    (b"GET \x00\x01\x02\x03 binary after a method\r\n\r\n", "malformed"),
    (b"GET /v HTTP/2.0\r\nHost: v.example\r\n\r\n", "malformed"),   # not HTTP/1.x
    (b"GET  /two-spaces HTTP/1.1\r\n\r\n", "malformed"),
    (b"GET /p1 HTTP/1.1\r\nHost: pipe.example\r\n\r\nGET /p2 HTTP/1.1\r\nHost: pipe.example\r\n\r\n",
     ("count", "GET", "/p1", "pipe.example")),                      # pipelined: the first only
    (b"GET /case HTTP/1.1\r\nhOST: \t Case.Example \t\r\n\r\n", ("count", "GET", "/case", "Case.Example")),
    (b"GET /lf HTTP/1.0\nHost: lf.example\n\n", ("count", "GET", "/lf", "lf.example")),
    (b"PATCH /patch HTTP/1.1\r\nHost: " + b"h" * 40 + b"\r\n\r\n",
     ("count", "PATCH", "/patch", "h" * 32)),                       # Host cut to HOST_LEN
]


def test_http_counts_on_real_traffic(server: tuple[str, int], net: Net) -> None:
    addr, port = server
    hostport = f"{addr}:{port}"
    want_requests: dict[tuple[str, str, str], int] = {}
    want_statuses: dict[tuple[str, int], int] = {}
    want_stats = {"requests": 0, "long_lines": 0, "malformed": 0, "incomplete": 0, "short": 0,
                  "unmatched": 0, "retransmits": 0}

    def expect(method: str, path: str, host: str, status: int | None) -> None:
        want_requests[(method, path, host)] = want_requests.get((method, path, host), 0) + 1
        want_stats["requests"] += 1
        if status is not None:
            want_statuses[(path, status)] = want_statuses.get((path, status), 0) + 1

    def expect_unmatched(status: int | None) -> None:
        if status is not None:
            want_statuses[("", status)] = want_statuses.get(("", status), 0) + 1
            want_stats["unmatched"] += 1

    with ebpfpy.load(ROOT / "examples" / "http_stats.py") as obj, \
            http_stats.open_tap(net.host) as tap:
        tap.setblocking(False)
        with obj.programs.http_stats.attach(sock=tap):
            for _ in range(3):                                      # urllib: 200, body intact
                with urllib.request.urlopen(f"http://{hostport}/index.html", timeout=5) as r:
                    assert r.status == 200 and r.read() == INDEX
                expect("GET", "/index.html", hostport, 200)
            for _ in range(2):
                with pytest.raises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(f"http://{hostport}/missing", timeout=5)
                assert e.value.code == 404
                expect("GET", "/missing", hostport, 404)
            for method, path, code in (("HEAD", "/index.html", 200), ("DELETE", "/index.html", 501),
                                       ("OPTIONS", "*", 501)):
                c = http.client.HTTPConnection(addr, port, timeout=5)
                c.request(method, path)
                r = c.getresponse()
                r.read()
                c.close()
                assert r.status == code
                expect(method, path, hostport, code)
            for data, verdict in HOSTILE:
                status = status_of(raw_exchange((addr, port), data))
                if isinstance(verdict, tuple):
                    _, method, path, host = verdict
                    expect(method, path, host, status)
                    if path.endswith("..."):
                        want_stats["long_lines"] += 1
                else:
                    if verdict in want_stats:
                        want_stats[verdict] += 1
                    expect_unmatched(status)
            time.sleep(0.2)                 # the last FIN/ACKs
        with pytest.raises(BlockingIOError):
            tap.recv(65536)                 # the filter kept nothing for its socket
        got = http_stats.report(obj)

    assert got["requests"] == want_requests
    assert got["statuses"] == want_statuses
    for name, n in want_stats.items():
        assert got["stats"][name] == n, name
    assert got["stats"]["responses"] == sum(want_statuses.values())
    assert got["stats"]["other"] >= 1       # the garbage, and segments after a first one


def test_method_constants_match_their_tokens() -> None:
    """The little-endian words in method_of are the tokens they name."""
    src = (ROOT / "examples" / "http_stats.py").read_text()
    for token in ("GET ", "PUT ", "POST ", "HEAD ", "TRACE ", "PATCH ", "DELETE ", "CONNECT ",
                  "OPTIONS "):
        word = int.from_bytes(token.encode(), "little")
        assert re.search(rf"== 0x{word:X}:\n\s+return M_{token.strip()} << 8 \| {len(token)}\n",
                         src), token
    assert http_stats.HTTP_1 == int.from_bytes(b"HTTP/1.", "little")


TC_LINEAR = '''
from ebpfpy import bpf_program, Array, u64, SkbContext, TC_ACT_OK

seen = Array(u64, 3)        # segments over 100 bytes: count, skb len, directly readable bytes

@bpf_program("tc/egress")
def tc_out(ctx: SkbContext) -> int:
    if ctx.protocol == 0x0008 and ctx.len > 100:
        seen[0] += 1
        seen[1] += ctx.len
        seen[2] += ctx.data_end - ctx.data
    return TC_ACT_OK
'''


def test_tc_sees_no_payload_of_a_local_send(net: Net, tmp_path: Path) -> None:
    """Why http_stats is a socket filter (docs/l7.md): tc reads only the linear part of a
    socket buffer directly, and a local TCP send puts its payload in page fragments."""
    path = tmp_path / "tc_linear.py"
    path.write_text(TC_LINEAR)
    payload = b"GET /x HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 20 + b"\r\n"
    listener = ("import socket, time; s = socket.socket(); s.bind(('%s', 9999)); s.listen(); "
                "c, _ = s.accept(); c.recv(4096); time.sleep(0.2)" % net.peer_addr)
    proc = subprocess.Popen(["ip", "netns", "exec", net.netns, sys.executable, "-c", listener])
    try:
        with ebpfpy.load(str(path)) as obj, obj.programs.tc_out.attach(iface=net.host):
            deadline = time.monotonic() + 10
            while True:
                try:
                    c = socket.create_connection((net.peer_addr, 9999), timeout=1)
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            with c:
                c.sendall(payload)
                time.sleep(0.1)
            n, total, linear = (obj.maps.seen[i] for i in range(3))
    finally:
        proc.wait(timeout=10)
    print(f"skb len {total}, linear bytes {linear}")
    assert n == 1 and total - linear == len(payload), (n, total, linear)


def _segment(payload: bytes, client: bool, cport: int, seq: int) -> bytes:
    """IPv4 + TCP (12 bytes of options, as Linux sends) + payload, between 10.0.0.1:cport
    (the client) and 10.0.0.2:80, in the direction ``client`` says."""
    src, dst, sport, dport = (1, 2, cport, 80) if client else (2, 1, 80, cport)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 8 << 4, 0x18, 1000, 0, 0)
    tcp += bytes([1, 1, 8, 10]) + bytes(8)
    return struct.pack("!BBHHHBB2xII", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6,
                       0x0A000000 | src, 0x0A000000 | dst) + tcp + payload


def _mutants(rng: random.Random, n: int) -> list[bytes]:
    """Requests and status lines with bytes replaced, inserted or cut off."""
    seeds = [d for d, _ in HOSTILE if len(d) < 200] + [
        b"GET /index.html HTTP/1.1\r\nAccept: */*\r\nHost: a.example\r\n\r\n",
        b"OPTIONS * HTTP/1.0\r\nhost:b\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.0 100 Continue\r\n\r\n", b"HTTP/1.0 404 File not found\r\nServer: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]
    alphabet = b" \t\r\n:/HTTPGEThost01\x00\x7f\xff"
    out = []
    for _ in range(n):
        b = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            op, at = rng.randrange(3), rng.randrange(len(b) + 1)
            if op == 0 and at < len(b):
                b[at] = rng.choice(alphabet)
            elif op == 1:
                b[at:at] = bytes([rng.choice(alphabet)])
            else:
                del b[max(at, 12):]
        out.append(bytes(b))
    return out


def test_kernel_and_simulator_agree_on_hostile_and_mutated_segments() -> None:
    """The parser's rules, run by the kernel and by ebpfpy.testing's simulator on the same
    segments (both directions, requests then responses on shared connections), give the same
    maps.  test_run gives a socket filter the packet from the IP header on; the simulator is
    given the IP packet and ``ctx.len`` directly."""
    rng = random.Random(13)
    payloads = [d for d, _ in HOSTILE] + _mutants(rng, 120)
    # seven connections; every tenth segment repeats its predecessor's sequence number
    segments = [_segment(p, client=not p.startswith(b"HTTP/"), cport=40000 + i % 7,
                         seq=i - 7 * (i % 10 == 9)) for i, p in enumerate(payloads)]
    sim = Simulator(ROOT / "examples" / "http_stats.py")
    with ebpfpy.load(ROOT / "examples" / "http_stats.py") as obj:
        for seg in segments:
            k = obj.programs.http_stats.test_run(data=bytes(12) + b"\x08\x00" + seg)
            s = sim.run("http_stats", data=seg, ctx=struct.pack("<I", len(seg)))
            assert k.retval == s.retval == 0
        kernel = http_stats.report(obj)
    assert kernel == http_stats.report(sim)
    st = kernel["stats"]
    assert st["requests"] >= 20 and st["malformed"] >= 10 and st["incomplete"] >= 3, st
    assert st["responses"] >= 5 and st["retransmits"] >= 1 and st["long_lines"] >= 1, st
