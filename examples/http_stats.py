"""HTTP/1.x request and response statistics, parsed in the kernel by a socket filter.

    python examples/http_stats.py IFACE [SECONDS]

opens a packet socket on IFACE (``AF_PACKET``, ``SOCK_DGRAM``; IPv4 is parsed), attaches the
``http_stats`` filter to it, waits SECONDS (default 5) and prints requests per method, path and
``Host``, and response status codes per path.  The filter sees both directions of every TCP
segment crossing IFACE; it keeps nothing for the socket (it returns 0) and cannot change or drop
a packet.  docs/l7.md explains what is parsed, how, and the limits (requests split over
segments, pipelining, TLS).

What counts as a request: a TCP segment whose payload starts with ``METHOD SP target SP
HTTP/1.d CRLF`` (LF alone is accepted too) for one of the nine methods of RFC 9110 and 5789.
Its path is the target's first ``PATH_LEN`` bytes (``cut`` is 1 when it was longer); its host
is the first ``Host`` header's value (case-insensitive name, surrounding blanks dropped, first
``HOST_LEN`` bytes) if the header ends in the first ``SCAN`` bytes of the segment, else empty.
A request line that does not end in the first ``SCAN`` bytes of a longer segment still counts,
with an empty host (``long_lines``).  A response is a segment starting ``HTTP/1.d SP ddd``; its
status counts under the path of the last request seen on the same connection (empty path: no
request seen there, e.g. after a malformed one).
"""
from ebpfpy import (bpf_program, bpf_function, struct, helpers, Array, HashMap, LruHashMap,
                    PerCpuArray, SkbContext, u8, u16, u32, u64)

PATH_LEN = 64               # bytes of the request target kept in a key
HOST_LEN = 32               # bytes of the Host value kept in a key
SCAN = 512                  # bytes of a request segment parsed
MIN_PAYLOAD = 16            # "GET / HTTP/1.0\r\n": nothing shorter starts a request
IPPROTO_TCP = 6

SP = 0x20
HT = 0x09
CR = 0x0D
LF = 0x0A
COLON = 0x3A

# Methods: the first bytes of the payload, read as a little-endian u64, masked to the token
# and its space, e.g. b"GET " == 0x20544547.  Index 0 is "not a request".
M_GET = 1
M_HEAD = 2
M_POST = 3
M_PUT = 4
M_DELETE = 5
M_CONNECT = 6
M_OPTIONS = 7
M_TRACE = 8
M_PATCH = 9
HTTP_1 = 0x2E312F50545448           # b"HTTP/1."

# parse outcomes
R_COUNTED = 0
R_LONG = 1                  # request line longer than the scanned bytes: counted
R_INCOMPLETE = 2            # the segment ends inside the request line: not counted
R_MALFORMED = 3             # not METHOD SP target SP HTTP/1.d CRLF: not counted

# header parsing states
H_NAME = 0                  # in a header name (or a line that is not "host:")
H_BLANKS = 1                # after "host:", blanks
H_VALUE = 2                 # in the Host value
H_DONE = 3                  # the Host line ended (only the first one counts)

# stats[] slots
S_SEGMENTS = 0              # TCP segments with a payload
S_REQUESTS = 1              # requests counted
S_LONG_LINES = 2            # ... of which the request line did not end in SCAN bytes
S_INCOMPLETE = 3            # method and space, then the segment ended inside the line
S_MALFORMED = 4             # method and space, then not a valid request line
S_RESPONSES = 5             # status lines counted
S_UNMATCHED = 6             # ... of which no request was seen on the connection
S_RETRANSMITS = 7           # a request segment seen again (same sequence number): skipped
S_OTHER = 8                 # payload that starts neither a request nor a response
S_SHORT = 9                 # payload shorter than MIN_PAYLOAD
N_STATS = 10


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
    source: u16
    dest: u16
    seq: u32
    ack_seq: u32
    doff: u8                # data offset in the high 4 bits
    flags: u8
    window: u16
    check: u16
    urg_ptr: u16


@struct
class Head:
    lo: u64                 # payload bytes 0..7, little-endian
    hi: u64                 # payload bytes 8..15


@struct
class Chunk:
    b: u8[64]


@struct
class Word:
    b: u8[8]


@struct
class ReqKey:
    method: u8              # M_GET ...
    cut: u8                 # 1: the target was longer than PATH_LEN
    path: u8[PATH_LEN]      # zero-padded
    host: u8[HOST_LEN]      # zero-padded; empty when not seen


@struct
class StatusKey:
    status: u16
    cut: u8
    path: u8[PATH_LEN]      # the request's; empty when no request was seen


@struct
class Flow:
    client: u32             # addresses and ports as on the wire (network order)
    server: u32
    cport: u16
    sport: u16


@struct
class Pending:
    seq: u32                # the request segment's sequence number (retransmission check)
    cut: u8
    path: u8[PATH_LEN]


@struct
class Parse:
    """The parser's state between ``helpers.loop`` callbacks (on the stack: bpf_loop's
    callback context must be)."""
    base: u32               # index of the callbacks' byte 0 in Scratch.b
    t: u32                  # target bytes seen
    vpos: u32               # index after the space that ends the target; 0: none yet
    bad: u32                # 1: a control byte in the target
    line: u32               # start of the current header line
    state: u32              # H_NAME ...
    prev: u32               # the previous byte
    last4: u32              # the current line's last four bytes, lower-cased, big-endian
    h: u32                  # host bytes stored
    kept: u32               # host bytes up to the last non-blank one


@struct
class Scratch:
    b: u8[SCAN]             # the segment's first bytes
    req: ReqKey
    st: StatusKey
    pend: Pending


skip_retransmits: u32 = 1  # 0: count a request segment seen twice twice (the benchmark's
                            # repeated test_run sends one segment over and over)

requests = HashMap(ReqKey, u64, max_entries=4096)
statuses = HashMap(StatusKey, u64, max_entries=4096)
pending = LruHashMap(Flow, Pending, max_entries=16384)    # the last request per connection
stats = Array(u64, N_STATS)
scratch = PerCpuArray(Scratch, 1)


@bpf_function
def method_of(w: u64) -> u32:
    """The method whose token and space start the payload (``w``: bytes 0..7), as
    ``id << 8 | length with the space``; 0 when none does."""
    if w & 0xFFFFFFFF == 0x20544547:
        return M_GET << 8 | 4
    if w & 0xFFFFFFFF == 0x20545550:
        return M_PUT << 8 | 4
    if w & 0xFFFFFFFFFF == 0x2054534F50:
        return M_POST << 8 | 5
    if w & 0xFFFFFFFFFF == 0x2044414548:
        return M_HEAD << 8 | 5
    if w & 0xFFFFFFFFFFFF == 0x204543415254:
        return M_TRACE << 8 | 6
    if w & 0xFFFFFFFFFFFF == 0x204843544150:
        return M_PATCH << 8 | 6
    if w & 0xFFFFFFFFFFFFFF == 0x204554454C4544:
        return M_DELETE << 8 | 7
    if w == 0x205443454E4E4F43:
        return M_CONNECT << 8 | 8
    if w == 0x20534E4F4954504F:
        return M_OPTIONS << 8 | 8
    return 0


@bpf_function
def is_digit(c: u64) -> bool:
    return 0x30 <= c <= 0x39


@bpf_function
def status_of(h: Head) -> u32:
    """The status code of a payload starting ``HTTP/1.d SP ddd (SP|CR)``, else 0."""
    if h.lo & 0xFFFFFFFFFFFFFF != HTTP_1 or not is_digit(h.lo >> 56):
        return 0
    if h.hi & 0xFF != SP or not (h.hi >> 32 & 0xFF == SP or h.hi >> 32 & 0xFF == CR):
        return 0
    d1 = h.hi >> 8 & 0xFF
    d2 = h.hi >> 16 & 0xFF
    d3 = h.hi >> 24 & 0xFF
    if not (is_digit(d1) and is_digit(d2) and is_digit(d3)):
        return 0
    return u32((d1 - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30))


@bpf_function
def lower(c: u8) -> u8:
    return c | 0x20 if 0x41 <= c <= 0x5A else c


@bpf_function
def target_byte(i: u32, ps: Parse) -> int:
    """One byte of the request target (a ``helpers.loop`` callback): stop at the space."""
    s = scratch.lookup(0)
    if s is None:
        return 1
    k = ps.base + i
    if k >= SCAN:
        return 1
    c = s.b[k]
    if c == SP:
        ps.vpos = k + 1
        return 1
    if c < 0x21 or c == 0x7F:               # control bytes: not a request line
        ps.bad = 1
        return 1
    t = ps.t
    if t < PATH_LEN:
        s.req.path[t] = c
    ps.t = t + 1
    return 0


@bpf_function
def header_byte(i: u32, ps: Parse) -> int:
    """One byte of the header lines (a ``helpers.loop`` callback): find the first Host
    line, copy its value, stop at the empty line."""
    s = scratch.lookup(0)
    if s is None:
        return 1
    k = ps.base + i
    if k >= SCAN:
        return 1
    c = s.b[k]
    line = ps.line
    if c == LF:
        ps.last4 = 0
        if ps.state == H_BLANKS or ps.state == H_VALUE:
            ps.state = H_DONE
        if k == line or (k == line + 1 and ps.prev == CR):
            return 1                        # the empty line: end of the headers
        ps.line = k + 1
        ps.prev = c
        return 0
    ps.prev = c
    state = ps.state
    if state == H_NAME:
        if k == line + 4 and c == COLON and ps.last4 == 0x686F7374:      # "host:"
            ps.state = H_BLANKS
        ps.last4 = ps.last4 << 8 | lower(c)
        return 0
    if state == H_DONE or c == CR:
        return 0
    if state == H_BLANKS and (c == SP or c == HT):
        return 0
    ps.state = H_VALUE
    h = ps.h
    if h < HOST_LEN:
        s.req.host[h] = c
        ps.h = h + 1
        if c != SP and c != HT:
            ps.kept = h + 1
    return 0


@bpf_function
def parse_request(s: Scratch, n: u32, mlen: u32) -> u32:
    """Parse the request line and headers in ``s.b[:min(n, SCAN)]`` (``n``: payload length;
    the method's ``mlen`` bytes are already checked) into ``s.req``; an ``R_*`` outcome."""
    lim = min(n, SCAN)
    cut_short = u32(R_LONG) if n > SCAN else u32(R_INCOMPLETE)
    ps = Parse(base=mlen)
    helpers.loop(lim - mlen, target_byte, ps)
    t = ps.t
    if t > PATH_LEN:
        s.req.cut = 1
    if ps.bad != 0 or t == 0 and ps.vpos != 0:
        return R_MALFORMED
    vpos = ps.vpos
    if vpos == 0:
        return cut_short
    # the version, then CRLF or LF
    for k in range(7):
        j = vpos + k
        if j >= lim:
            return cut_short
        if j < SCAN and s.b[j] != u8(HTTP_1 >> (8 * k)):
            return R_MALFORMED
    p = vpos + 7
    if p >= lim:
        return cut_short
    if p >= SCAN or not is_digit(s.b[p]):
        return R_MALFORMED
    p += 1
    if p < lim and p < SCAN and s.b[p] == CR:
        p += 1
    if p >= lim:
        return cut_short
    if p >= SCAN or s.b[p] != LF:
        return R_MALFORMED
    # headers: the first Host line among the lines that end within the scanned bytes
    p += 1
    if p < lim:
        ps.base = p
        ps.line = p
        helpers.loop(lim - p, header_byte, ps)
    kept = ps.kept if ps.state == H_DONE else u32(0)   # a Host line cut off: not kept
    for j in range(HOST_LEN):               # drop trailing blanks, or all of a cut value
        if j >= kept:
            s.req.host[j] = 0
    return R_COUNTED


@bpf_program("socket")
def http_stats(ctx: SkbContext) -> int:
    """Count HTTP/1.x requests and responses; keep nothing for the socket (return 0)."""
    ip = ctx.load(IpHdr, 0)
    if ip is None or ip.ver_ihl >> 4 != 4 or ip.protocol != IPPROTO_TCP:
        return 0
    if helpers.ntohs(ip.frag_off) & 0x3FFF != 0:
        return 0                            # a fragment
    ihl = u32(ip.ver_ihl & 0x0F) * 4
    if ihl < 20:
        return 0
    tcp = ctx.load(TcpHdr, ihl)
    if tcp is None:
        return 0
    start = ihl + u32(tcp.doff >> 4) * 4
    total = u32(helpers.ntohs(ip.tot_len))
    if total <= start or u32(tcp.doff >> 4) < 5:
        return 0                            # no payload: SYN, ACK, FIN
    n = min(total, ctx.len) - start if ctx.len > start else u32(0)
    if n == 0:
        return 0
    stats[S_SEGMENTS] += 1
    if n < MIN_PAYLOAD:
        stats[S_SHORT] += 1
        return 0
    head = ctx.load(Head, start)
    if head is None:
        return 0
    s = scratch.lookup(0)
    if s is None:
        return 0

    status = status_of(head)
    if status != 0:
        stats[S_RESPONSES] += 1
        s.st.status = u16(status)
        s.st.cut = 0
        flow = Flow(client=ip.daddr, server=ip.saddr, cport=tcp.dest, sport=tcp.source)
        p = pending.lookup(flow)
        if p is None:
            stats[S_UNMATCHED] += 1
            for j in range(PATH_LEN):
                s.st.path[j] = 0
        else:
            s.st.cut = p.cut
            for j in range(PATH_LEN):       # (a loop: see "Notes" in docs/l7.md)
                s.st.path[j] = p.path[j]
        statuses[s.st] += 1
        if p is not None and status >= 200:
            del pending[flow]               # 1xx is interim: the final status follows
        return 0

    m = method_of(head.lo)
    if m == 0:
        stats[S_OTHER] += 1
        return 0
    flow = Flow(client=ip.saddr, server=ip.daddr, cport=tcp.source, sport=tcp.dest)
    p = pending.lookup(flow)
    if p is not None and p.seq == tcp.seq and skip_retransmits != 0:
        stats[S_RETRANSMITS] += 1
        return 0

    # copy the first min(n, SCAN) bytes: 64-byte chunks (8-byte words when fewer than 64),
    # the last one moved back to end at the last byte (n >= 16: it starts in the payload).
    # `at > SCAN - 64` never holds: it bounds `at` once for the index proof, so the byte
    # loop has no test per byte (a test per byte forks the verifier's walk at every byte)
    want = min(n, SCAN)
    if want >= 64:
        for k in range(SCAN // 64):
            at = u32(k * 64)
            if at >= want:
                break
            if at + 64 > want:
                at = want - 64
            chunk = ctx.load(Chunk, start + at)
            if chunk is None or at > SCAN - 64:
                return 0
            for j in range(64):
                s.b[at + j] = chunk.b[j]
    else:
        for k in range(8):
            at = u32(k * 8)
            if at >= want:
                break
            if at + 8 > want:
                at = want - 8
            word = ctx.load(Word, start + at)
            if word is None or at > SCAN - 8:
                return 0
            for j in range(8):
                s.b[at + j] = word.b[j]

    s.req.method = u8(m >> 8)
    s.req.cut = 0
    for j in range(PATH_LEN):
        s.req.path[j] = 0
    for j in range(HOST_LEN):
        s.req.host[j] = 0
    r = parse_request(s, n, m & 0xFF)
    if r == R_INCOMPLETE:
        stats[S_INCOMPLETE] += 1
        return 0
    if r == R_MALFORMED:
        stats[S_MALFORMED] += 1
        return 0
    if r == R_LONG:
        stats[S_LONG_LINES] += 1
    stats[S_REQUESTS] += 1
    requests[s.req] += 1
    s.pend.seq = tcp.seq
    s.pend.cut = s.req.cut
    for j in range(PATH_LEN):
        s.pend.path[j] = s.req.path[j]
    pending[flow] = s.pend
    return 0


METHODS = ["?", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
STATS = ["segments", "requests", "long_lines", "incomplete", "malformed", "responses",
         "unmatched", "retransmits", "other", "short"]


def text(b) -> str:
    """A zero-padded key field as text (bytes that are not ASCII shown as \\xNN)."""
    return bytes(b).rstrip(b"\0").decode("ascii", "backslashreplace")


def report(obj) -> dict:
    """The maps as plain data: ``{"requests": {(method, path, host): n}, "statuses":
    {(path, status): n}, "stats": {name: n}}``; a cut path ends in ``...``."""
    def path(k) -> str:
        return text(k.path) + ("..." if k.cut else "")
    return {
        "requests": {(METHODS[k.method], path(k), text(k.host)): n
                     for k, n in obj.maps.requests.items()},
        "statuses": {(path(k), k.status): n for k, n in obj.maps.statuses.items()},
        "stats": {name: obj.maps.stats[i] for i, name in enumerate(STATS)},
    }


def open_tap(iface: str):
    """A packet socket on ``iface`` that sees every packet in both directions, from the
    network header on (``SOCK_DGRAM`` removes the link-layer header in both directions).
    ``ETH_P_ALL``, because a socket bound to one protocol is not shown outgoing packets."""
    import socket
    ETH_P_ALL = 0x0003
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    s.bind((iface, ETH_P_ALL))
    return s


if __name__ == "__main__":
    import sys
    import time

    import ebpfpy

    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} IFACE [SECONDS]")
    iface, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    with ebpfpy.load(__file__) as obj, open_tap(iface) as tap:
        with obj.programs.http_stats.attach(sock=tap):
            print(f"watching HTTP on {iface} for {seconds:g} s", flush=True)
            time.sleep(seconds)
        r = report(obj)
    for (method, path, host), n in sorted(r["requests"].items()):
        print(f"{n:6}  {method:7} {host or '-':24} {path}")
    for (path, status), n in sorted(r["statuses"].items()):
        print(f"{n:6}  {status}  {path or '(no request seen)'}")
    print("  ".join(f"{k}={v}" for k, v in r["stats"].items()))
