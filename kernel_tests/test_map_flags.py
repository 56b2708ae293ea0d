"""Insert-only and update-only writes (``BPF_NOEXIST`` / ``BPF_EXIST``): ``m.insert(k, v)`` and
``m.replace(k, v)`` in BPF code (kernel and simulator agree) and on userspace maps."""
from __future__ import annotations

import ctypes
import os
import textwrap

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

_libc = ctypes.CDLL(None, use_errno=True)
SYS_getpid = 39

FLAGS = textwrap.dedent('''
    from ebpfpy import bpf_program, HashMap, LruHashMap, PerCpuHashMap, Array, u32, u64

    start = HashMap(u32, u64, max_entries=2)
    lru = LruHashMap(u32, u64, max_entries=4)
    pcpu = PerCpuHashMap(u32, u64, max_entries=4)
    out = Array(u64, 4)

    @bpf_program("syscall")
    def main(ctx) -> int:
        n: u32 = 0
        if start.insert(1, 10):          # absent: stored
            n |= 1
        if start.insert(1, 20):          # present: refused, value stays 10
            n |= 2
        if start.replace(2, 30):         # absent: refused, nothing inserted
            n |= 4
        if start.replace(1, 40):         # present: stored
            n |= 8
        ok = start.insert(3, 50)
        if ok:
            n |= 16
        if start.insert(4, 60):          # full (2 entries): refused
            n |= 32
        if lru.replace(1, 1):
            n |= 64
        if lru.insert(1, 2) and pcpu.insert(1, 3) and not pcpu.insert(1, 4):
            n |= 128
        out[0] = start[1]
        return n
''')

FIRST_SEEN = textwrap.dedent('''
    from ebpfpy import bpf_program, HashMap, Array, helpers, u32, u64

    me: u32 = 0
    first = HashMap(u32, u64, max_entries=64)
    tally = Array(u64, 2)          # [0]: inserts that stored, [1]: refused (already there)

    @bpf_program("tracepoint/syscalls/sys_enter_getpid")
    def on_getpid(ctx) -> int:
        tgid = u32(helpers.get_current_pid_tgid() >> 32)
        if tgid != me:
            return 0
        if first.insert(tgid, helpers.ktime_get_ns()):
            tally[0] += 1
        else:
            tally[1] += 1
        return 0
''')


def test_flags_in_bpf_code_kernel_and_simulator_agree():
    elf = ebpfpy.compile(source=FLAGS, filename="map_flags.py")
    sim = Simulator(source=FLAGS, filename="map_flags.py")
    with ebpfpy.load(elf) as obj:
        r = obj.programs.main.test_run()
        assert r.retval == 1 | 8 | 16 | 128 == sim.run("main").retval
        assert dict(obj.maps.start.items()) == {1: 40, 3: 50} == dict(sim.maps.start.items())
        assert obj.maps.out[0] == 40 == sim.maps.out[0]
        assert obj.maps.lru[1] == 2 and sum(obj.maps.pcpu[1]) == 3     # on the CPU that ran it


def test_insert_keeps_the_first_value_from_a_tracepoint():
    with ebpfpy.load(ebpfpy.compile(source=FIRST_SEEN, filename="map_flags_tp.py")) as obj:
        pid = os.getpid()                 # before attaching: os.getpid() is a getpid call
        obj.globals.me = pid
        with obj.programs.on_getpid.attach():
            _libc.syscall(SYS_getpid)
            first = obj.maps.first[pid]
            for _ in range(4):
                _libc.syscall(SYS_getpid)
        assert obj.maps.first[pid] == first and list(obj.maps.first) == [pid]
        assert list(obj.maps.tally.values()) == [1, 4]


@pytest.fixture(params=["kernel", "simulator"])
def maps(request):
    if request.param == "simulator":
        yield Simulator(source=FLAGS, filename="map_flags.py").maps
        return
    with ebpfpy.load(ebpfpy.compile(source=FLAGS, filename="map_flags.py")) as obj:
        yield obj.maps


def test_userspace_insert_and_replace(maps):
    m = maps.start
    assert m.replace(1, 5) is False and 1 not in m          # absent: nothing inserted
    assert m.insert(1, 5) is True and m[1] == 5
    assert m.insert(1, 6) is False and m[1] == 5            # present: unchanged
    assert m.replace(1, 7) is True and m[1] == 7
    assert m.insert(2, 8) is True
    # a full map: the loader says KeyError, the simulator OverflowError (docs/testing.md)
    with pytest.raises((KeyError, OverflowError), match="full"):
        m.insert(3, 9)
    with pytest.raises(OverflowError):
        m.insert(4, -1)
    assert maps.pcpu.insert(1, 3) is True and maps.pcpu[1][0] == 3
    with pytest.raises(TypeError, match="array: every index exists"):
        maps.out.insert(0, 1)
    with pytest.raises(TypeError, match="array: every index exists"):
        maps.out.replace(0, 1)
