"""The HTTP parser of examples/http_stats.py against the same parser in C, in one run.

    python benchmarks/http.py [--runs N] [--repeat N] [--loads N]

Compiles examples/http_stats.py with ebpfpy and benchmarks/c/http.bpf.c with
``clang-19 -O2 -g -target bpf``, loads both, and runs each on the same packets through
``BPF_PROG_TEST_RUN`` with ``repeat`` (the kernel's own average per run), both sides
interleaved, each object loaded ``--loads`` times (the median of the per-load medians; see
``kernels.measure_kernel_side``).  It prints ns per packet for both and their ratio, and the
verifier's processed instructions; first it checks that both objects count the same.  ``skip_retransmits`` is set to 0 in both objects: a
repeated run sends the same segment again, which would otherwise be skipped as a
retransmission after the first run instead of being parsed.
"""
from __future__ import annotations

import argparse
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402  (the helpers of benchmarks/kernels.py)

PY = kernels.ROOT / "examples" / "http_stats.py"
C = kernels.BENCH / "c" / "http.bpf.c"


def frame(payload: bytes, src: str = "10.0.0.1", dst: str = "10.0.0.2", sport: int = 40000,
          dport: int = 80, seq: int = 1) -> bytes:
    """Ethernet + IPv4 + TCP (with the 12-byte timestamp option Linux sends) + payload.
    test_run hands a socket filter the packet from the IP header on, as the packet socket
    of examples/http_stats.py does."""
    opts = bytes([1, 1, 8, 10]) + bytes(8)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 8 << 4, 0x18, 1000, 0, 0) + opts
    ip = struct.pack("!BBHHHBB2x4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return bytes(12) + b"\x08\x00" + ip + tcp + payload


REQUEST = (b"GET /index.html HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 10.0.0.2:8000\r\n"
           b"User-Agent: Python-urllib/3.11\r\nConnection: close\r\n\r\n")
PACKETS = [
    ("urllib GET (136 B)", frame(REQUEST)),
    ("status line", frame(b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n\r\n",
                          src="10.0.0.2", dst="10.0.0.1", sport=80, dport=40000)),
    ("body segment", frame(b"<p>hello from the namespace</p>\n" * 4,
                           src="10.0.0.2", dst="10.0.0.1", sport=80, dport=40000)),
    ("pure ACK", frame(b"")),
    ("over-long line", frame(b"GET /" + b"a" * 1400 + b" HTTP/1.1\r\n\r\n")),
]


def same_counts(elfs: dict[str, bytes]) -> bool:
    """Both objects, fresh, count the same for every packet above sent once."""
    import ebpfpy
    sys.path.insert(0, str(PY.parent))
    import http_stats
    reports = []
    for elf in elfs.values():
        with ebpfpy.load(elf) as obj:
            for _, data in PACKETS:
                obj.programs.http_stats.test_run(data=data)
            reports.append(http_stats.report(obj))
    return reports[0] == reports[1] and reports[0]["stats"]["requests"] == 2


def no_skip(obj: Any) -> None:
    obj.globals.skip_retransmits = 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="test_run batches per load (median)")
    ap.add_argument("--repeat", type=int, default=20_000, help="test_run repeat")
    ap.add_argument("--loads", type=int, default=3, help="loads of each object (median)")
    args = ap.parse_args(argv)
    if not kernels.CLANG:
        print("clang-19 not found: the C side cannot be built", file=sys.stderr)
        return 1
    import ebpfpy
    with tempfile.TemporaryDirectory() as tmp:
        c_out = Path(tmp) / "http.c.o"
        kernels.clang_compile(C, c_out)
        elfs = {"ebpfpy": ebpfpy.compile(PY), "clang": c_out.read_bytes()}
    print(f"same counts from both objects: {'yes' if same_counts(elfs) else 'NO'}")
    print(f"{'packet':22}{'ebpfpy ns':>11}{'clang ns':>10}{'ratio':>8}")
    processed: dict[str, Any] = {}
    for name, data in PACKETS:
        # kind "xdp" in kernels.py means "test_run with data and repeat": a socket filter's way too
        k = kernels.Kernel("http", PY, C, "http_stats", "xdp", data, setup=no_skip)
        res = kernels.measure_kernel_side(k, elfs, args.runs, args.repeat, args.loads, [])
        py, c = res["ebpfpy"]["run_ns"], res["clang"]["run_ns"]
        print(f"{name:22}{py:>11.0f}{c:>10.0f}{py / c:>8.2f}", flush=True)
        processed = {side: r.get("processed") for side, r in res.items()}
    print(f"verifier processed insns: ebpfpy {processed['ebpfpy']}, clang {processed['clang']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
