"""tp_btf events whose arguments are named by their event class, in the kernel.

``sched_wakeup``, ``sched_waking`` and ``softirq_entry`` are DEFINE_EVENTs: the kernel's BTF
has ``btf_trace_<event>`` but names the arguments only in ``__bpf_trace_<class>``
(``sched_wakeup_template``, ``softirq``).  Each program reads an argument by its TP_PROTO
name and the test makes the event happen.
"""
from __future__ import annotations

import os
import socket
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

import ebpfpy
from ebpfpy.loader.links import LinkGroup

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")

WAKEUP = '''
from ebpfpy import bpf_program, HashMap, u32, u64

target: u32 = 0
woken = HashMap(u32, u64, 64)          # event number -> times the target task was woken

@bpf_program("tp_btf/sched_wakeup")
def on_wakeup(ctx) -> int:
    if u32(ctx.p.pid) == target:
        woken[0] += 1
    return 0

@bpf_program("tp_btf/sched_waking")
def on_waking(ctx) -> int:
    if u32(ctx.p.tgid) == target:
        woken[1] += 1
    return 0
'''

SOFTIRQ = '''
from ebpfpy import bpf_program, HashMap, u32, u64

vecs = HashMap(u32, u64, 16)           # softirq number -> entries

@bpf_program("tp_btf/softirq_entry")
def on_softirq(ctx) -> int:
    vecs[ctx.vec_nr] += 1
    return 0
'''

NET_RX_SOFTIRQ = 3          # include/linux/interrupt.h: HI, TIMER, NET_TX, NET_RX, ...


def load(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "prog.py"
    path.write_text(textwrap.dedent(body))
    return ebpfpy.load(str(path))


def test_sched_wakeup_names_the_woken_task(tmp_path: Path) -> None:
    with load(tmp_path, WAKEUP) as obj:
        child = subprocess.Popen(["sleep", "0.3"])     # sleeps, then the timer wakes it
        obj.globals.target = child.pid
        with obj.programs.on_wakeup.attach(), obj.programs.on_waking.attach():
            child.wait()
        assert obj.maps.woken.get(0, 0) >= 1
        assert obj.maps.woken.get(1, 0) >= 1


def test_softirq_entry_sees_net_rx_for_loopback_traffic(tmp_path: Path) -> None:
    with load(tmp_path, SOFTIRQ) as obj:
        with obj.programs.on_softirq.attach():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
                rx.bind(("127.0.0.1", 0))
                for _ in range(50):
                    tx.sendto(b"x", rx.getsockname())
                    rx.recv(16)
        vecs = dict(obj.maps.vecs.items())
        assert vecs.get(NET_RX_SOFTIRQ, 0) >= 1, vecs
        assert all(v < 10 for v in vecs), vecs          # NR_SOFTIRQS


UPROBE = '''
from ebpfpy import bpf_program

@bpf_program("uprobe//bin/true:no_such_symbol_in_true")
def on_call(ctx) -> int:
    return 0
'''


def test_a_refused_attach_is_an_attach_error_with_the_cause(tmp_path: Path) -> None:
    with load(tmp_path, UPROBE) as obj:
        with pytest.raises(ebpfpy.AttachError) as info:
            obj.programs.on_call.attach()
    err = info.value
    assert isinstance(err, OSError) and isinstance(err, ebpfpy.LoadError)
    assert err.program == "on_call" and "no_such_symbol_in_true" in err.target
    assert err.hint is not None and "symbol" in err.hint
    assert "hint: no such file or symbol" in str(err)


LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
MULTI = f'''
from ebpfpy import bpf_program, helpers, Array, u32, u64

me: u32 = 0
calls = Array(u64, 1)

@bpf_program("uprobe/{LIBC}:getppid,getpgrp")
def on_call(ctx) -> int:
    if u32(helpers.get_current_pid_tgid() >> 32) == me:
        calls[0] += 1
    return 0
'''


@pytest.mark.skipif(not os.path.exists(LIBC), reason=f"no {LIBC}")
@pytest.mark.parametrize("how", ["section", "symbols"])
def test_one_program_on_several_uprobe_symbols(tmp_path: Path, how: str) -> None:
    with load(tmp_path, MULTI) as obj:
        obj.globals.me = os.getpid()
        prog = obj.programs.on_call
        group = prog.attach() if how == "section" else \
            prog.attach(path=LIBC, symbols=["getppid", "getpgrp"])
        with group:
            assert isinstance(group, LinkGroup) and len(group.links) == 2
            for _ in range(3):
                os.getppid()
            for _ in range(4):
                os.getpgrp()
        assert obj.maps.calls[0] == 7
        os.getppid()                                   # detached: not counted
        assert obj.maps.calls[0] == 7
        assert all(not link.attached for link in group.links)


def test_a_failed_symbol_detaches_the_others(tmp_path: Path) -> None:
    with load(tmp_path, MULTI) as obj:
        with pytest.raises(ebpfpy.AttachError):
            obj.programs.on_call.attach(path=LIBC, symbols=["getppid", "no_such_symbol_x"])
        obj.globals.me = os.getpid()
        os.getppid()
        assert obj.maps.calls[0] == 0                  # the getppid link did not survive
