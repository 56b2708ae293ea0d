"""Every attach point, with a real trigger, through programs that use the typed contexts.

tracepoint (fields from tracefs), raw_tp (``ctx.args``), tp_btf (arguments by name from BTF),
uprobe/uretprobe on a small C program built here with gcc (``pt_regs`` fields from BTF), XDP
and tc ingress/egress on a veth pair with packets sent from a namespace, cgroup_skb on a
cgroup made for the test, a socket filter, ``iter/task`` writing with ``seq_printf``, and
perf_event on a software clock.  (``kernel_tests/test_loader_attach.py`` covers the loader's
side: links, detaching, errors; ``test_kernel_types.py`` covers fentry/fexit.)
"""
from __future__ import annotations

import ctypes
import os
import platform
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy import libbpf as L

_libc = ctypes.CDLL(None, use_errno=True)
SYS_getppid = 110 if platform.machine() == "x86_64" else 173
needs_btf = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                               reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")


@pytest.fixture(autouse=True)
def _btf_kept():
    """libbpf must never drop an object's BTF ("BTF is optional, ignoring")."""
    mark = L.message_mark()
    yield
    dropped = [m for m in L.messages_since(mark) if "BTF is optional" in m]
    assert not dropped, "libbpf dropped the BTF: " + "".join(dropped)


def build(tmp_path: Path, body: str, name: str):
    """Load from a file, so records and map values decode into the module's classes."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return ebpfpy.load(str(path))


# ------------------------------------------------------------------ tracing
TRACING = '''
    from ebpfpy import bpf_program, helpers, Array, u32, u64
    from ebpfpy.kernel import task_struct

    me: u32 = 0
    seen = Array(u64, 8)

    @bpf_program("tracepoint/syscalls/sys_enter_openat")
    def on_openat(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) != me:
            return 0
        seen[0] = u64(ctx.flags)
        seen[1] = u64(ctx.dfd)
        return 0

    @bpf_program("raw_tp/sys_enter")
    def on_sys_enter(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) != me:
            return 0
        if ctx.args[1] == {getppid}:
            seen[2] += 1
        return 0

    @bpf_program("tp_btf/sched_switch")
    def on_switch(ctx) -> int:
        if u32(ctx.prev.tgid) == me:
            seen[3] += 1
            seen[4] = u64(ctx.prev.pid)
        return 0
'''


@needs_btf
def test_tracepoint_raw_tp_and_tp_btf_typed_contexts(tmp_path: Path, tracefs) -> None:
    with build(tmp_path, TRACING.replace("{getppid}", str(SYS_getppid)), "tracing") as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_openat.attach(), obj.programs.on_sys_enter.attach(), \
                obj.programs.on_switch.attach():
            fd = os.open(tmp_path / "f", os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
            for _ in range(3):
                _libc.syscall(SYS_getppid)
            time.sleep(0.01)                     # off the CPU at least once
        flags = obj.maps.seen[0]
        assert flags & (os.O_CREAT | os.O_EXCL | os.O_WRONLY) == os.O_CREAT | os.O_EXCL | os.O_WRONLY
        # AT_FDCWD (os.open uses openat); tracefs lists dfd as 8 unsigned bytes holding the int
        assert obj.maps.seen[1] & 0xFFFFFFFF == (1 << 32) - 100
        assert obj.maps.seen[2] >= 3
        assert obj.maps.seen[3] >= 1
        assert obj.maps.seen[4] > 0


# ------------------------------------------------------------------ uprobes
ADD_C = r'''
#include <stdlib.h>
__attribute__((noinline)) int add(int a, int b) { __asm__ volatile(""); return a + b; }
int main(int argc, char **argv) {
    int n = atoi(argv[1]), s = 0;
    for (int i = 0; i < n; i++) s += add(i, 1000);
    return s == 0;
}
'''

UPROBE = '''
    from ebpfpy import bpf_program, Array, u64

    seen = Array(u64, 4)

    @bpf_program("uprobe/{binary}:add")
    def on_add(ctx) -> int:
        seen[0] += 1
        seen[1] += ctx.di                      # first argument (x86-64 pt_regs)
        return 0

    @bpf_program("uretprobe/{binary}:add")
    def on_add_ret(ctx) -> int:
        seen[2] += 1
        seen[3] += ctx.ax & 0xFFFFFFFF         # the int result
        return 0
'''


@needs_btf
@pytest.mark.skipif(platform.machine() != "x86_64", reason="pt_regs field names are x86-64's")
@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build the probed binary")
def test_uprobe_and_uretprobe_on_a_small_binary(tmp_path: Path) -> None:
    (tmp_path / "add.c").write_text(ADD_C)
    binary = tmp_path / "add"
    subprocess.run(["gcc", "-O1", "-o", str(binary), str(tmp_path / "add.c")], check=True)
    with build(tmp_path, UPROBE.replace("{binary}", str(binary)), "uprobe") as obj:
        with obj.programs.on_add.attach(), obj.programs.on_add_ret.attach():
            subprocess.run([str(binary), "10"], check=True)
        assert obj.maps.seen[0] == 10 and obj.maps.seen[2] == 10
        assert obj.maps.seen[1] == sum(range(10))
        assert obj.maps.seen[3] == sum(range(10)) + 10 * 1000


# ------------------------------------------------------------------ packets
NET = '''
    from ebpfpy import (bpf_program, helpers, struct, Array, u8, u16, u32, u64, XDP_PASS,
                        TC_ACT_OK, XdpContext, SkbContext)

    @struct
    class Eth:
        dst: u8[6]
        src: u8[6]
        proto: u16

    @struct
    class Ip:
        ver_ihl: u8
        tos: u8
        tot_len: u16
        id: u16
        frag: u16
        ttl: u8
        proto: u8
        csum: u16
        saddr: u32
        daddr: u32

    peer: u32 = 0                   # the namespace's address, network order
    udp = Array(u64, 8)             # 0 xdp, 1 tc ingress, 2 tc egress, 3 bytes seen by xdp

    @bpf_program("xdp")
    def xdp_udp(ctx: XdpContext) -> int:
        eth = ctx.load(Eth, 0)
        if eth is None or helpers.ntohs(eth.proto) != 0x0800:
            return XDP_PASS
        ip = ctx.load(Ip, 14)
        if ip is not None and ip.proto == 17 and ip.saddr == peer:
            udp[0] += 1
            udp[3] += helpers.ntohs(ip.tot_len)
        return XDP_PASS

    @bpf_program("tc/ingress")
    def tc_in(ctx: SkbContext) -> int:
        ip = ctx.load(Ip, 14)
        if ctx.protocol == 0x0008 and ip is not None and ip.proto == 17 and ip.saddr == peer:
            udp[1] += 1
        return TC_ACT_OK

    @bpf_program("tc/egress")
    def tc_out(ctx: SkbContext) -> int:
        ip = ctx.load(Ip, 14)
        if ctx.protocol == 0x0008 and ip is not None and ip.proto == 17 and ip.daddr == peer:
            udp[2] += 1
        return TC_ACT_OK
'''


def _addr(a: str) -> int:
    return int.from_bytes(socket.inet_aton(a), "little")


def test_xdp_and_tc_ingress_egress_on_veth(tmp_path: Path, netns_veth) -> None:
    pair = netns_veth
    with build(tmp_path, NET, "net") as obj:
        obj.globals.peer = _addr(pair.peer_addr)
        with obj.programs.xdp_udp.attach(iface=pair.host), \
                obj.programs.tc_in.attach(iface=pair.host), \
                obj.programs.tc_out.attach(iface=pair.host):
            code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                    f"[s.sendto(b'x' * 10, ('{pair.host_addr}', 9)) for _ in range(7)]")
            res = pair.in_netns(sys.executable, "-c", code)
            assert res.returncode == 0, res.stderr
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
                for _ in range(4):
                    tx.sendto(b"y", (pair.peer_addr, 9))
            time.sleep(0.1)
        assert obj.maps.udp[0] == 7
        assert obj.maps.udp[3] == 7 * (20 + 8 + 10)
        assert obj.maps.udp[1] == 7
        assert obj.maps.udp[2] == 4


CGROUP_SOCK = '''
    from ebpfpy import bpf_program, Array, u64, SkbContext

    seen = Array(u64, 4)            # 0 cgroup packets, 1 cgroup bytes, 2 socket packets, 3 bytes

    @bpf_program("cgroup_skb/egress")
    def cg_out(ctx: SkbContext) -> int:
        seen[0] += 1
        seen[1] += ctx.len
        return 1                    # let it through

    @bpf_program("socket")
    def sock_count(ctx: SkbContext) -> int:
        seen[2] += 1
        seen[3] += ctx.len
        return 0xFFFF               # keep the whole packet
'''


def _cgroup2_root() -> Path | None:
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return Path(parts[1])
    return None


def test_cgroup_skb_on_a_test_cgroup(tmp_path: Path) -> None:
    root = _cgroup2_root()
    if root is None:
        pytest.skip("no cgroup v2 hierarchy is mounted")
    cg = root / f"ebpfpy-test-{os.getpid()}"
    try:
        cg.mkdir()
    except OSError as e:
        pytest.skip(f"cannot create a cgroup in {root}: {e}")
    try:
        with build(tmp_path, CGROUP_SOCK, "cgroup") as obj:
            with obj.programs.cg_out.attach(cgroup=str(cg)):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
                    tx.sendto(b"outside", ("127.0.0.1", 9))     # not in the cgroup
                assert obj.maps.seen[0] == 0
                code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                        "[s.sendto(b'z' * 100, ('127.0.0.1', 9)) for _ in range(5)]")

                def join() -> None:
                    (cg / "cgroup.procs").write_text("0")
                subprocess.run([sys.executable, "-c", code], check=True, preexec_fn=join)
            assert obj.maps.seen[0] == 5
            assert obj.maps.seen[1] == 5 * (20 + 8 + 100)
    finally:
        cg.rmdir()


def test_socket_filter_sees_each_datagram(tmp_path: Path) -> None:
    with build(tmp_path, CGROUP_SOCK, "sockf") as obj, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(2)
        with obj.programs.sock_count.attach(sock=rx):
            for i in range(3):
                tx.sendto(b"d" * (10 + i), rx.getsockname())
                assert rx.recv(64) == b"d" * (10 + i)
        assert obj.maps.seen[2] == 3
        # a socket filter sees the packet from the transport header on: UDP + payload
        assert obj.maps.seen[3] == 3 * 8 + 10 + 11 + 12


# ------------------------------------------------------------------ iterators
ITER = '''
    from ebpfpy import bpf_program, helpers

    @bpf_program("iter/task")
    def dump_tasks(ctx) -> int:
        task = ctx.task
        if task is None:
            return 0
        helpers.seq_printf(ctx.meta.seq, "%d %d %s\\n", task.tgid, task.pid, task.comm)
        return 0
'''


@needs_btf
def test_iter_task_lists_this_process(tmp_path: Path) -> None:
    with build(tmp_path, ITER, "iter") as obj, obj.programs.dump_tasks.attach() as link:
        text = link.read()
    rows = [ln.split(" ", 2) for ln in text.splitlines()]
    by_tid = {int(tid): (int(tgid), comm) for tgid, tid, comm in rows}
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    assert by_tid[os.getpid()] == (os.getpid(), comm)
    assert by_tid[2][1] == "kthreadd"
    assert len(by_tid) >= len([p for p in os.listdir("/proc") if p.isdigit()]) // 2


# ------------------------------------------------------------------ perf events
PERF = '''
    from ebpfpy import bpf_program, Array, u64

    seen = Array(u64, 2)

    @bpf_program("perf_event")
    def on_tick(ctx) -> int:
        seen[0] += 1
        seen[1] = ctx.sample_period
        return 0
'''


class _PerfEventAttr(ctypes.Structure):
    """The leading fields of ``struct perf_event_attr``; the rest stays zero."""

    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32), ("config", ctypes.c_uint64),
                ("sample_period", ctypes.c_uint64), ("sample_type", ctypes.c_uint64),
                ("read_format", ctypes.c_uint64), ("flags", ctypes.c_uint64),
                ("_rest", ctypes.c_uint8 * 96)]


@needs_btf
def test_perf_event_software_clock(tmp_path: Path) -> None:
    period = 200_000                                   # ns of cpu-clock per sample
    attr = _PerfEventAttr(type=1, config=0, sample_period=period)   # PERF_TYPE_SOFTWARE
    attr.size = ctypes.sizeof(attr)
    nr = 298 if platform.machine() == "x86_64" else 241
    pfd = _libc.syscall(nr, ctypes.byref(attr), 0, -1, -1, 8)        # this task, any CPU
    if pfd < 0:
        pytest.skip(f"perf_event_open: {os.strerror(ctypes.get_errno())}")
    with build(tmp_path, PERF, "perf") as obj:
        with obj.programs.on_tick.attach(pfd=pfd):
            end = time.monotonic() + 0.2
            while time.monotonic() < end:
                pass
        assert obj.maps.seen[0] >= 100                  # 200 ms of CPU / 0.2 ms, give or take
        assert obj.maps.seen[1] == period
