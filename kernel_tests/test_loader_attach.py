"""Attaching programs with real triggers: tracepoints, raw tracepoints, uprobes, XDP, tc,
socket filters; links detach (explicitly, as context managers, and when the object closes).

Programs are built with ``ebpfpy.compile``; skipped only while the compiler's pipeline module
does not exist yet.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import socket
import subprocess
import textwrap
import time

import pytest

import ebpfpy
from ebpfpy import libbpf as L

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ebpfpy.pipeline") is None,
                                reason="ebpfpy.pipeline (the compiler) is not there yet")


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)

_libc = ctypes.CDLL(None, use_errno=True)
SYS_getpid = 39

HEADER = textwrap.dedent('''
    from ebpfpy import (bpf_program, Array, ProgArray, helpers, u32, u64, XDP_PASS,
                        XDP_DROP, TC_ACT_OK, XdpContext, SkbContext)

    hits = Array(u64, 4)
    me: u32 = 0
''')


def load(body: str, name: str):
    src = HEADER + textwrap.dedent(body)
    return ebpfpy.load(ebpfpy.compile(source=src, filename=f"{name}.py"))


def getpid_syscalls(n: int) -> None:
    for _ in range(n):
        _libc.syscall(SYS_getpid)


def libc_path() -> str:
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if os.path.basename(path).startswith("libc.so"):
                return path
    pytest.skip("libc is not mapped from a file")


COUNT_MINE = '''
    @bpf_program("{section}")
    def {name}(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) == me:
            hits[0] += 1
        return 0
'''


def test_tracepoint_counts_getpid_and_detaches(tracefs) -> None:
    with load(COUNT_MINE.format(section="tracepoint/syscalls/sys_enter_getpid",
                                name="on_getpid"), "tp") as obj:
        obj.globals.me = os.getpid()
        link = obj.programs.on_getpid.attach()
        getpid_syscalls(3)
        assert obj.maps.hits[0] == 3
        link.detach()
        link.detach()                                   # idempotent
        getpid_syscalls(2)
        assert obj.maps.hits[0] == 3


def test_raw_tracepoint_link_is_a_context_manager() -> None:
    with load(COUNT_MINE.format(section="raw_tp/sys_enter", name="on_enter"), "rawtp") as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_enter.attach():
            getpid_syscalls(4)
        seen = obj.maps.hits[0]
        assert seen >= 4
        getpid_syscalls(4)
        assert obj.maps.hits[0] == seen


def test_uprobe_on_a_libc_function(tracefs) -> None:
    section = f"uprobe/{libc_path()}:getpid"
    with load(COUNT_MINE.format(section=section, name="on_libc_getpid"), "uprobe") as obj:
        obj.globals.me = os.getpid()
        obj.programs.on_libc_getpid.attach()
        for _ in range(5):
            _libc.getpid()
        assert obj.maps.hits[0] == 5


def test_close_detaches_links() -> None:
    obj = load(COUNT_MINE.format(section="raw_tp/sys_enter", name="on_enter"), "close")
    obj.globals.me = os.getpid()
    link = obj.programs.on_enter.attach()
    obj.close()
    assert not link.attached


NET = '''
    @bpf_program("xdp")
    def count_xdp(ctx: XdpContext) -> int:
        hits[1] += 1
        return XDP_PASS

    @bpf_program("tc")
    def count_tc(ctx: SkbContext) -> int:
        hits[2] += 1
        return TC_ACT_OK

    @bpf_program("socket")
    def count_sock(ctx: SkbContext) -> int:
        hits[3] += 1
        return 65535
'''

PACKET = bytes(range(64))          # any 64 bytes do: the programs do not parse them


def test_network_programs_test_run() -> None:
    with load(NET, "net_run") as obj:
        r = obj.programs.count_xdp.test_run(data=PACKET, repeat=3)
        assert r.retval == ebpfpy.XDP_PASS and r.data == PACKET
        assert r.duration_ns is not None and obj.maps.hits[1] == 3
        r = obj.programs.count_tc.test_run(data=PACKET)
        assert r.retval == ebpfpy.TC_ACT_OK and obj.maps.hits[2] == 1
        assert obj.programs.count_sock.test_run(data=PACKET).retval == 65535


def _send_udp_from_peer(pair, count: int) -> None:
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"[s.sendto(b'x', ('{pair.host_addr}', 9)) for _ in range({count})]")
    res = pair.in_netns("python3", "-c", code)
    assert res.returncode == 0, res.stderr


def test_xdp_and_tc_on_veth(netns_veth) -> None:
    pair = netns_veth
    with load(NET, "net_attach") as obj:
        xdp = obj.programs.count_xdp.attach(iface=pair.host)
        tc = obj.programs.count_tc.attach(pair.host)
        _send_udp_from_peer(pair, 5)
        assert obj.maps.hits[1] >= 5 and obj.maps.hits[2] >= 5
        shown = subprocess.run(["tc", "filter", "show", "dev", pair.host, "ingress"],
                               capture_output=True, text=True).stdout
        assert "count_tc" in shown
        tc.detach()
        xdp.detach()
        shown = subprocess.run(["tc", "qdisc", "show", "dev", pair.host],
                               capture_output=True, text=True).stdout
        assert "clsact" not in shown                  # the hook we created is gone
        before = (obj.maps.hits[1], obj.maps.hits[2])
        _send_udp_from_peer(pair, 3)
        assert (obj.maps.hits[1], obj.maps.hits[2]) == before


def test_xdp_needs_an_interface() -> None:
    with load(NET, "net_iface") as obj:
        with pytest.raises(TypeError, match="iface"):
            obj.programs.count_xdp.attach()
        with pytest.raises(ValueError, match="no network interface"):
            obj.programs.count_xdp.attach(iface="no-such-if0")


def test_socket_filter_on_a_python_socket() -> None:
    with load(NET, "net_sock") as obj, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(2)
        link = obj.programs.count_sock.attach(sock=rx)
        tx.sendto(b"hello", rx.getsockname())
        assert rx.recv(16) == b"hello"
        assert obj.maps.hits[3] == 1
        link.detach()
        tx.sendto(b"again", rx.getsockname())
        assert rx.recv(16) == b"again"
        assert obj.maps.hits[3] == 1


OTHERS = '''
    @bpf_program("cgroup_skb/egress")
    def count_egress(ctx: SkbContext) -> int:
        hits[1] += 1
        return 1

    @bpf_program("perf_event")
    def on_tick(ctx) -> int:
        hits[2] += 1
        return 0
'''


def test_cgroup_skb_on_the_cgroup2_root() -> None:
    with load(OTHERS, "others_cg") as obj, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        link = obj.programs.count_egress.attach()        # default: the cgroup v2 root
        tx.sendto(b"x", ("127.0.0.1", 9))
        assert obj.maps.hits[1] >= 1
        link.detach()


class _PerfEventAttr(ctypes.Structure):
    """The leading fields of ``struct perf_event_attr``; the rest stays zero."""

    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32), ("config", ctypes.c_uint64),
                ("sample_period", ctypes.c_uint64), ("sample_type", ctypes.c_uint64),
                ("read_format", ctypes.c_uint64), ("flags", ctypes.c_uint64),
                ("_rest", ctypes.c_uint8 * 96)]


def test_perf_event_on_a_software_clock() -> None:
    attr = _PerfEventAttr(type=1, config=0, sample_period=100_000)   # PERF_TYPE_SOFTWARE, cpu-clock
    attr.size = ctypes.sizeof(attr)
    pfd = _libc.syscall(298, ctypes.byref(attr), 0, -1, -1, 8)      # this task, any CPU, CLOEXEC
    if pfd < 0:
        pytest.skip(f"perf_event_open: {os.strerror(ctypes.get_errno())}")
    with load(OTHERS, "others_pe") as obj:
        with obj.programs.on_tick.attach(pfd=pfd):                    # the link owns pfd
            end = time.monotonic() + 0.2
            while time.monotonic() < end:
                pass
        assert obj.maps.hits[2] > 0


TAIL = '''
    progs = ProgArray(4)

    @bpf_program("xdp")
    def entry(ctx: XdpContext) -> int:
        progs.tail_call(ctx, 0)
        return XDP_DROP

    @bpf_program("xdp")
    def target(ctx: XdpContext) -> int:
        return XDP_PASS
'''


def test_prog_array_tail_calls() -> None:
    with load(TAIL, "tail") as obj:
        progs, entry = obj.maps.progs, obj.programs.entry
        assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_DROP
        progs[0] = obj.programs.target
        assert 0 in progs and 1 not in progs
        assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_PASS
        del progs[0]
        assert entry.test_run(data=PACKET).retval == ebpfpy.XDP_DROP
