"""The examples on a real kernel: each one compiles and loads, and does what its docstring says.

- ``count_opens.py`` runs as a subprocess (its ``__main__``) while this process opens files.
- ``xdp_ethertype.py`` counts crafted packets through ``BPF_PROG_TEST_RUN``, then real frames
  sent across a veth pair from a network namespace, with the program attached and detached.
- ``gol_step.py`` steps 50 generations, each compared cell for cell with NumPy.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import libbpf as L

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))       # the examples' userspace helpers (gol_step.run, ...)

import gol_step                      # noqa: E402  (a BPF module is an importable Python module)
import xdp_ethertype                 # noqa: E402


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


def example(name: str) -> str:
    return str(EXAMPLES / name)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_example_compiles_and_loads(path: Path) -> None:
    elf = ebpfpy.compile(path)
    assert elf[:4] == b"\x7fELF"
    with ebpfpy.load(path) as obj:
        assert list(obj.programs)


# ------------------------------------------------------------------ count_opens
def test_count_opens_main_prints_pids_with_counts(tracefs) -> None:
    """``python examples/count_opens.py``: the pids that opened files while it listened."""
    proc = subprocess.Popen([sys.executable, example("count_opens.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    opens = 0
    while proc.poll() is None and time.monotonic() < deadline:
        with open(__file__, "rb"):
            opens += 1
        time.sleep(0.001)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    counts = {}
    for line in out.splitlines():
        m = re.fullmatch(r"(\d+) (\d+)", line)
        assert m, f"not a 'PID COUNT' line: {line!r}"
        counts[int(m[1])] = int(m[2])
    assert counts and all(n > 0 for n in counts.values())
    assert os.getpid() in counts or proc.pid in counts, (os.getpid(), proc.pid, counts)
    assert counts.get(os.getpid(), 0) >= 1
    assert counts[os.getpid()] <= opens + 100      # this process opened little else meanwhile


def test_count_opens_counts_this_process_exactly(tracefs) -> None:
    """Loaded in-process: every ``openat`` of this process is counted once."""
    with ebpfpy.load(example("count_opens.py")) as obj:
        with obj.programs.on_open.attach():
            before = obj.maps.counts.get(os.getpid(), 0)
            for _ in range(25):
                os.close(os.open(__file__, os.O_RDONLY))
            after = obj.maps.counts[os.getpid()]
    assert after - before >= 25                      # other threads of ours may open too
    assert after - before < 25 + 10


# ------------------------------------------------------------------ xdp_ethertype
def frame(ethertype: int, payload: bytes = b"\0" * 46, dst: bytes = b"\xff" * 6,
          src: bytes = b"\x02\0\0\0\0\x01") -> bytes:
    return dst + src + ethertype.to_bytes(2, "big") + payload


IPV4 = frame(0x0800, bytes.fromhex("4500001c000040004001") + b"\0" * 36)
IPV6 = frame(0x86DD, bytes.fromhex("6000000000083a40") + b"\0" * 48)
ARP = frame(0x0806, bytes.fromhex("0001080006040001") + b"\0" * 20)
VLAN_IPV6 = frame(0x8100, bytes.fromhex("0005") + (0x86DD).to_bytes(2, "big") + b"\0" * 42)
VLAN_CUT = frame(0x8100, b"\0\x05")                 # the tag's ethertype is cut off


def test_xdp_ethertype_counts_crafted_packets() -> None:
    with ebpfpy.load(example("xdp_ethertype.py")) as obj:
        prog = obj.programs.count_ethertype
        sent = [IPV4, IPV4, IPV4, IPV6, IPV6, ARP, VLAN_IPV6, VLAN_CUT]
        for pkt in sent:
            r = prog.test_run(data=pkt)
            assert r.retval == ebpfpy.XDP_PASS
            assert r.data == pkt                       # XDP_PASS leaves the packet as it was
            assert r.duration_ns is not None
        counts = xdp_ethertype.totals(obj.maps.counts)
        assert counts == {0x0800: 3, 0x86DD: 3, 0x0806: 1, xdp_ethertype.ETH_TOO_SHORT: 1}
        per_cpu = obj.maps.counts[0x0800]
        assert isinstance(per_cpu, list) and sum(per_cpu) == 3
        r = prog.test_run(data=IPV4, repeat=10)
        assert r.retval == ebpfpy.XDP_PASS
        assert xdp_ethertype.totals(obj.maps.counts)[0x0800] == 3 + 10


def test_xdp_ethertype_packet_shorter_than_ethernet_header() -> None:
    """The kernel refuses to test_run fewer than 14 bytes; the error says so, nothing counted."""
    with ebpfpy.load(example("xdp_ethertype.py")) as obj:
        with pytest.raises(OSError, match="at least 14 bytes"):
            obj.programs.count_ethertype.test_run(data=b"\xff" * 10)
        assert len(obj.maps.counts) == 0
        obj.programs.count_ethertype.test_run(data=IPV4[:14])     # exactly a header: counted
        assert xdp_ethertype.totals(obj.maps.counts) == {0x0800: 1}


def test_xdp_ethertype_stand_in_byte_order() -> None:
    """The CPython stand-ins agree with the wire order the kernel program relies on."""
    from ebpfpy import helpers
    assert helpers.ntohs(int.from_bytes(b"\x08\x00", sys.byteorder)) == 0x0800
    assert helpers.htons(0x86DD).to_bytes(2, sys.byteorder) == b"\x86\xdd"
    assert helpers.ntohl(int.from_bytes(b"\x0a\x00\x00\x01", sys.byteorder)) == 0x0A000001
    assert helpers.htonl(0x0A000001).to_bytes(4, sys.byteorder) == b"\x0a\x00\x00\x01"


SEND_FRAMES = textwrap.dedent('''
    import socket, sys
    iface, dst, count = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for ethertype in sys.argv[4:]:
        for _ in range(count):
            s.send(dst + b"\\x02\\0\\0\\0\\0\\x09" + bytes.fromhex(ethertype) + b"\\0" * 46)
''')

SEND_UDP = textwrap.dedent('''
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(2):
        s.sendto(b"ebpfpy", (sys.argv[1], 9))   # discard port; the ARP exchange comes first
''')

ETH_P_LOCAL1, ETH_P_LOCAL2 = 0x88B5, 0x88B6       # IEEE "local experimental": nobody else sends them


def send_frames(pair, count: int, *ethertypes: str) -> None:
    """Send ``count`` raw frames per ethertype (hex) from the namespace's end to the host's."""
    mac = Path(f"/sys/class/net/{pair.host}/address").read_text().strip().replace(":", "")
    r = pair.in_netns(sys.executable, "-c", SEND_FRAMES, pair.peer, mac, str(count), *ethertypes)
    assert r.returncode == 0, r.stderr


def settle(counts_map, key: int, want: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        got = sum(counts_map.get(key, [0]))
        if got >= want or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def test_xdp_ethertype_on_a_veth_in_a_network_namespace(netns_veth) -> None:
    pair = netns_veth
    with ebpfpy.load(example("xdp_ethertype.py")) as obj:
        counts = obj.maps.counts
        with obj.programs.count_ethertype.attach(iface=pair.host):
            send_frames(pair, 7, f"{ETH_P_LOCAL1:04x}")
            send_frames(pair, 3, f"{ETH_P_LOCAL2:04x}")
            udp = pair.in_netns(sys.executable, "-c", SEND_UDP, pair.host_addr)
            assert udp.returncode == 0, udp.stderr
            assert settle(counts, ETH_P_LOCAL1, 7) == 7
            assert settle(counts, ETH_P_LOCAL2, 3) == 3
            seen = xdp_ethertype.totals(counts)
            assert seen.get(0x0800, 0) >= 2          # the UDP datagrams
            assert seen.get(0x0806, 0) >= 1          # the peer asked for our MAC first
        send_frames(pair, 5, f"{ETH_P_LOCAL1:04x}")  # detached: no longer counted
        time.sleep(0.2)
        assert xdp_ethertype.totals(counts)[ETH_P_LOCAL1] == 7
    assert "xdp" not in subprocess.run(["ip", "link", "show", pair.host],
                                       capture_output=True, text=True).stdout


def test_xdp_ethertype_main_on_a_veth(netns_veth) -> None:
    """``python examples/xdp_ethertype.py IFACE SECONDS`` prints what crossed the interface."""
    pair = netns_veth
    proc = subprocess.Popen([sys.executable, example("xdp_ethertype.py"), pair.host, "1.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()                     # printed once attached
    assert first.startswith(f"counting on {pair.host}"), first + proc.stderr.read()
    send_frames(pair, 4, f"{ETH_P_LOCAL1:04x}")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"0x{ETH_P_LOCAL1:04x} ?     4" in out.splitlines(), out


def test_xdp_ethertype_main_needs_an_interface() -> None:
    r = subprocess.run([sys.executable, example("xdp_ethertype.py")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "usage:" in r.stderr


# ------------------------------------------------------------------ gol_step
def test_gol_step_50_generations_match_numpy() -> None:
    with ebpfpy.load(example("gol_step.py")) as obj:
        seen = []
        assert gol_step.run(obj, 50, seed=7, report=lambda g, alive: seen.append(alive)) == 50
        assert obj.globals.generation == 50
        assert len(seen) == 50 and all(n > 0 for n in seen)


def test_gol_step_glider_alone_travels() -> None:
    """A glider on an empty board moves one cell diagonally every 4 generations."""
    import numpy as np
    with ebpfpy.load(example("gol_step.py")) as obj:
        board = np.zeros((gol_step.H, gol_step.W), dtype=np.uint8)
        for dy, dx in gol_step.GLIDER:
            board[dy, dx] = 1
        obj.maps.boards[0] = obj.structs.Board(cells=board.tolist())
        obj.globals.generation = 0
        for _ in range(4 * gol_step.W):                # once around the torus
            assert obj.programs.step.test_run().retval == 0
        assert np.array_equal(gol_step.kernel_board(obj), board)
        assert obj.globals.generation == 4 * gol_step.W


def test_gol_step_main_prints_ok() -> None:
    r = subprocess.run([sys.executable, example("gol_step.py"), "12", "3"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [ln.split(":")[0] for ln in lines[:12]] == [f"generation {g:3}" for g in range(1, 13)]
    assert all(ln.endswith("OK") for ln in lines[:12])
    assert lines[-1] == "12 generations match the NumPy reference"


def test_gol_step_verifier_cost_is_well_under_the_budget() -> None:
    with ebpfpy.load(example("gol_step.py"), log_level=1) as obj:
        m = re.search(r"processed (\d+) insns", obj.programs.step.log)
        assert m and int(m[1]) < 1_000_000
