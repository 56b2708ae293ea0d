"""The network ports in examples/ports/ (xdp-tutorial's basic lessons, libbpf-bootstrap's tc
and sockfilter), run as their users run them while this process sends packets, checked
against what the originals print and do for those packets.  XDP and tc go on a veth pair
whose peer lives in a network namespace (conftest's ``netns_veth``).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_ports import PORTS, ROOT, Port, _trace_lines

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the ports read kernel types from BTF")


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    """``python examples/ports/NAME.py ARGS`` to its end."""
    env = dict(os.environ, EBPFPY_NO_SERVER="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(PORTS / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.fixture
def veth(netns_veth, tmp_path, monkeypatch):
    """The pair, and a private bpffs mount for what a lesson pins (XDP_PIN_BASEDIR): a test
    session that tidies /sys/fs/bpf when it ends (as kernel_tests/conftest.py does) could
    otherwise remove a pin, and with it the program, from under a lesson.  The mount goes
    after the test, detaching whatever it still held, before the pair goes.  IPv6 is off
    on both ends: its announcements would add to the packets a lesson counts."""
    base = tmp_path / "bpffs"
    base.mkdir()
    subprocess.run(["mount", "-t", "bpf", "bpf", str(base)], check=True)
    monkeypatch.setenv("XDP_PIN_BASEDIR", str(base))
    subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{netns_veth.host}.disable_ipv6=1"])
    netns_veth.in_netns("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    netns_veth.pins = base
    try:
        yield netns_veth
    finally:
        subprocess.run(["umount", str(base)], check=False)


def send_udp(pair, n: int, size: int = 10) -> None:
    """``n`` UDP datagrams of ``size`` bytes from the namespace to the host side."""
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"[s.sendto(b'x' * {size}, ('{pair.host_addr}', 9)) for _ in range({n})]")
    res = pair.in_netns(sys.executable, "-c", code)
    assert res.returncode == 0, res.stderr


def udp_reaches(pair) -> bool:
    """Whether a datagram sent from the namespace reaches a socket on the host side."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind((pair.host_addr, 0))
        rx.settimeout(1.0)
        code = ("import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto("
                f"b'ping', ('{pair.host_addr}', {rx.getsockname()[1]}))")
        assert pair.in_netns(sys.executable, "-c", code).returncode == 0
        try:
            return rx.recv(16) == b"ping"
        except socket.timeout:
            return False


def xdp_id(dev: str) -> int | None:
    """The id of the XDP program on ``dev`` (``ip link``'s ``prog/xdp id N``), or None."""
    out = subprocess.run(["ip", "link", "show", "dev", dev], capture_output=True, text=True).stdout
    words = out.split()
    return int(words[words.index("prog/xdp") + 2]) if "prog/xdp" in words else None


def test_basic01_loads_and_leaves_the_program_attached(veth) -> None:
    idx = int(Path(f"/sys/class/net/{veth.host}/ifindex").read_text())
    res = run("basic01_xdp_pass", "--dev", veth.host)
    assert res.returncode == 0, res.stderr
    prog_id = xdp_id(veth.host)
    assert res.stdout == (f"Success: Loading XDP prog name:xdp_prog_simple(id:{prog_id}) "
                          f"on device:{veth.host}(ifindex:{idx})\n")
    assert udp_reaches(veth)
    res = run("basic01_xdp_pass", "--dev", veth.host, "--unload-all")
    assert res.stdout == "Success: Unloading XDP prog name: xdp_prog_simple\n", res.stderr
    assert xdp_id(veth.host) is None


def test_basic02_drop_func_drops_until_unloaded(veth) -> None:
    res = run("basic02_xdp_loader", "--dev", veth.host, "--progname", "xdp_drop_func")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[:3] == [lines[0], " xdp_pass_func", " xdp_drop_func"]
    assert lines[3].endswith("and used program(xdp_drop_func)")
    assert lines[4].startswith(f" - XDP prog id:{xdp_id(veth.host)} attached on device:{veth.host}")
    assert not udp_reaches(veth)
    assert run("basic02_xdp_loader", "--dev", veth.host, "--unload-all").returncode == 0
    assert udp_reaches(veth)


def test_basic03_counts_passed_packets(veth) -> None:
    assert udp_reaches(veth)                            # ARP resolved before counting
    port = Port("basic03_xdp_load_and_stats", "--dev", veth.host)
    assert port.lines[0].endswith("and used section(xdp_stats1_func)")
    for _ in range(6):
        port.lines.append(port.proc.stdout.readline().rstrip("\n"))
    assert port.lines[-1] == "XDP-action  "
    send_udp(veth, 25)
    lines = port.finish(2.5)
    rows = [ln.split() for ln in lines if ln.startswith("XDP_PASS")]
    # the 25 datagrams, and perhaps a neighbour probe
    assert rows and rows[-1][2] == "pkts" and 25 <= int(rows[-1][1]) <= 27, lines
    assert rows[-1][-1].startswith("period:")
    assert xdp_id(veth.host) is not None                # left attached, as the original
    assert run("basic03_xdp_load_and_stats", "--dev", veth.host, "--unload-all").returncode == 0
    assert xdp_id(veth.host) is None


def test_basic04_pinned_map_read_by_the_stats_tool(veth) -> None:
    assert udp_reaches(veth)                            # ARP resolved before dropping
    res = run("basic04_xdp_loader", "--dev", veth.host, "--progname", "xdp_drop_func")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == f" - Pinning maps in {veth.pins}/{veth.host}/"
    assert os.path.exists(f"{veth.pins}/{veth.host}/xdp_stats_map")
    send_udp(veth, 9, size=1000)
    res = run("basic04_xdp_stats", "--dev", veth.host, "--duration", "1")
    assert res.returncode == 0, res.stderr
    rows = {ln.split()[0]: ln.split() for ln in res.stdout.splitlines() if ln.startswith("XDP_")}
    assert list(rows) == ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]
    # 9 datagrams of 14 + 20 + 8 + 1000 bytes (9 kbytes), perhaps a neighbour probe
    assert 9 <= int(rows["XDP_DROP"][1]) <= 11 and rows["XDP_DROP"][6:8] == ["9", "Kbytes"], rows
    assert rows["XDP_PASS"][1] == "0"
    # loading again replaces the previous run's pinned map (fresh counters)
    res = run("basic04_xdp_loader", "--dev", veth.host, "--unload-all")
    assert res.stdout.splitlines() == [f" - Unpinning map {veth.pins}/{veth.host}/xdp_stats_map",
                                       "Success: Unloaded XDP program"], res.stderr
    assert xdp_id(veth.host) is None and not os.path.exists(f"{veth.pins}/{veth.host}")


def _until_line(port: Port, want: str, poke, seconds: float = 60) -> list[str]:
    """Call ``poke()`` every 0.1 s until the tool prints ``want`` (tools that print no header
    give no other sign that they have attached); the lines read so far."""
    import select
    import time
    end = time.monotonic() + seconds
    lines: list[str] = []
    buf = ""
    fd = port.proc.stdout.fileno()
    os.set_blocking(fd, False)
    while time.monotonic() < end and want not in lines:
        poke()
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split("\n")
            lines += done
    os.set_blocking(fd, True)
    assert want in lines, (lines, port.proc.poll())
    return lines


def test_sockfilter_prints_udp_on_lo() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        tx.bind(("127.0.0.1", 0))
        port = Port("sockfilter", "-i", "lo", ready=False)
        want = (f"interface: lo\tprotocol: UDP\t127.0.0.1:{tx.getsockname()[1]}(src) -> "
                f"127.0.0.1:{rx.getsockname()[1]}(dst)")
        lines = _until_line(port, want, lambda: tx.sendto(b"hello", rx.getsockname()))
        port.finish(0)
    # loopback shows each datagram twice to a packet socket: sent (PACKET_OUTGOING, not
    # printed) and received (PACKET_HOST)
    assert all(ln.startswith("interface: lo\tprotocol: ") for ln in lines), lines


def test_tc_prints_length_and_ttl_of_ingress_packets(veth) -> None:
    port = Port("tc", "-i", veth.host)
    assert port.lines[0].startswith("Successfully started! Please run")
    send_udp(veth, 3, size=1206)                        # 20 + 8 + 1206: tot_len 1234
    lines = _trace_lines("Got IP packet: tot_len: 1234, ttl: 64", 8)
    port.finish(0)
    assert lines and lines[0].endswith("Got IP packet: tot_len: 1234, ttl: 64"), lines
    qdisc = subprocess.run(["tc", "qdisc", "show", "dev", veth.host], capture_output=True,
                           text=True).stdout
    assert "clsact" not in qdisc                        # the hook it made is gone


def _free_tcp_port() -> int:
    """A local TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tcp_session(port_no: int, send: bytes = b"", reply: bytes = b"") -> int:
    """A TCP session over loopback to ``port_no``: the client sends ``send``, the server
    answers ``reply``, the client closes first.  The client's port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port_no))
        srv.listen(1)
        cli = socket.create_connection(srv.getsockname())
        conn, _ = srv.accept()
        cport = cli.getsockname()[1]
        cli.sendall(send)
        got = b""
        while len(got) < len(send):
            got += conn.recv(65536)
        conn.sendall(reply)
        got = b""
        while len(got) < len(reply):
            got += cli.recv(65536)
        cli.close()
        conn.recv(1)                                    # the client's FIN
        conn.close()
        return cport


def test_tcpstates_follows_a_client_connection() -> None:
    from test_ports import Port
    port_no = _free_tcp_port()
    port = Port("tcpstates", "-D", str(port_no))
    assert port.lines[0].split() == ["SKADDR", "PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT",
                                     "OLDSTATE", "->", "NEWSTATE", "MS"]
    cport = _tcp_session(port_no)
    rows = [ln.split() for ln in port.finish()[1:]]
    assert [r[7:10] for r in rows] == [["CLOSE", "->", "SYN_SENT"], ["SYN_SENT", "->", "ESTABLISHED"],
                                       ["ESTABLISHED", "->", "FIN_WAIT1"],
                                       ["FIN_WAIT1", "->", "FIN_WAIT2"], ["FIN_WAIT2", "->", "CLOSE"]], rows
    assert len({r[0] for r in rows}) == 1                # one socket
    assert all(r[3] == "127.0.0.1" and r[5] == "127.0.0.1" and r[6] == str(port_no) for r in rows)
    assert rows[1][4] == str(cport) and rows[1][1] == str(os.getpid())
    assert rows[0][10] == "0.000" and all(float(r[10]) >= 0 for r in rows)


def test_tcplife_summarizes_a_session_with_its_bytes() -> None:
    from test_ports import Port
    port_no = _free_tcp_port()
    port = Port("tcplife", "-D", str(port_no))
    assert port.lines[0].split() == ["PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB",
                                     "RX_KB", "MS"]
    cport = _tcp_session(port_no, send=b"s" * 10240, reply=b"r" * 2048)
    rows = [ln.split() for ln in port.finish()[1:]]
    assert len(rows) == 1, rows                         # the client's session (to port_no)
    pid, comm, laddr, lport, raddr, rport, tx, rx, ms = rows[0]
    assert [pid, laddr, lport, raddr, rport, tx, rx] == [
        str(os.getpid()), "127.0.0.1", str(cport), "127.0.0.1", str(port_no), "10.00", "2.00"]
    assert float(ms) >= 0
