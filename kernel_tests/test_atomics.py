"""``helpers.atomic_*`` in the kernel: two processes pinned to different CPUs make the same
program run concurrently, and every count comes out exact, as the sequential model (and the
simulator, one event at a time) says; a plain ``+=`` under a cmpxchg try-lock is never torn."""
from __future__ import annotations

import os
import textwrap

import pytest

import ebpfpy
from ebpfpy.testing import FakeKernel, Simulator

SRC = textwrap.dedent('''
    from ebpfpy import Array, HashMap, bpf_program, helpers, struct, u32, u64

    TICKETS = 1 << 19

    @struct
    class Guard:
        owner: u32
        inside: u64        # changed only by the holder of owner: a plain +=
        acquired: u64
        contended: u64
        max_ticket: u64

    calls: u64 = 0
    down: u64 = 1000000
    seen_next: u64 = 0
    seen = Array(u64, TICKETS // 64)     # bit t: ticket t was handed out
    guard = Array(Guard, 1)
    pids = HashMap(u32, u32, 8)          # the test's worker processes

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        tgid = u32(helpers.get_current_pid_tgid() >> 32)
        if tgid not in pids:
            return 0
        helpers.atomic_add(calls, 1)
        helpers.atomic_sub(down, 1)
        ticket = helpers.atomic_fetch_add(seen_next, 1)
        if ticket < TICKETS:
            w = seen.lookup(u32(ticket >> 6))
            if w is not None:
                helpers.atomic_or(w.value, u64(1) << (ticket & 63))
        g = guard.lookup(0)
        if g is None:
            return 0
        if helpers.atomic_cmpxchg(g.owner, 0, tgid) == 0:
            g.inside += 1
            helpers.atomic_add(g.acquired, 1)
            helpers.atomic_xchg(g.owner, 0)
        else:
            helpers.atomic_add(g.contended, 1)
        for _ in range(16):                           # max by compare-and-swap
            cur = g.max_ticket
            if ticket <= cur:
                break
            if helpers.atomic_cmpxchg(g.max_ticket, cur, ticket) == cur:
                break
        return 0
''')
PER_WORKER = 200000      # enough overlap that a plain += loses counts here


def _worker(cpu: int, go_r: int) -> None:
    """Pinned to ``cpu``: wait for the go byte, call getppid PER_WORKER times, exit."""
    try:
        os.sched_setaffinity(0, {cpu})
        os.read(go_r, 1)
        for _ in range(PER_WORKER):
            os.getppid()
    finally:
        os._exit(0)


def _run_workers(obj) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    go_r, go_w = os.pipe()
    kids = []
    try:
        for i in range(2):
            pid = os.fork()
            if pid == 0:
                _worker(cpus[i % len(cpus)], go_r)
            kids.append(pid)
            obj.maps.pids[pid] = 1
        with obj.programs.on_getppid.attach():
            os.write(go_w, b"gg")
            for pid in kids:
                assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
            kids.clear()
    finally:
        for pid in kids:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(go_r)
        os.close(go_w)


def _check(n: int, calls: int, down: int, next_ticket: int, words: list[int], g) -> None:
    """The sequential model: n calls hand out tickets 0..n-1, each exactly once."""
    assert calls == next_ticket == n
    assert down == 1000000 - n
    want = [0] * len(words)
    for t in range(n):
        want[t >> 6] |= 1 << (t & 63)
    assert words == want
    assert g.owner == 0 and g.inside == g.acquired and g.acquired + g.contended == n
    assert g.max_ticket == n - 1


def test_two_cpus_count_exactly() -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs 2 CPUs to run the program concurrently")
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="atomics.py")) as obj:
        _run_workers(obj)
        seen = obj.maps.seen
        words = [seen[i] for i in range(len(seen))]
        gl = obj.globals
        _check(2 * PER_WORKER, gl.calls, gl.down, gl.seen_next, words, obj.maps.guard[0])


def test_simulator_follows_the_sequential_model() -> None:
    sim = Simulator(source=SRC, filename="atomics.py", env=FakeKernel(tgid=4242))
    sim.maps.pids[4242] = 1
    for _ in range(300):
        assert sim.run("on_getppid").retval == 0
    words = [sim.maps.seen[i] for i in range(len(sim.maps.seen))]
    g = sim.maps.guard[0]
    _check(300, sim.globals.calls, sim.globals.down, sim.globals.seen_next, words, g)
    assert g.contended == 0                 # one program at a time: the lock is always free


SRC_OPS = textwrap.dedent('''
    from ebpfpy import Array, bpf_program, helpers, struct, u32, u64, i32, i64

    @struct
    class Args:
        a: u64
        b: u32
        c: i32
        d: i64

    @struct
    class Out:
        got: i64[12]

    vals = Array(Args, 1)
    out = Array(Out, 1)
    g32: u32 = 0xF0F0

    @bpf_program("syscall")
    def ops(ctx) -> int:
        v = vals.lookup(0)
        o = out.lookup(0)
        if v is None or o is None:
            return 1
        global g32
        o.got[0] = i64(helpers.atomic_fetch_add(v.a, 7))
        o.got[1] = i64(helpers.atomic_fetch_sub(v.b, 3))
        o.got[2] = i64(helpers.atomic_fetch_and(v.c, -4))
        o.got[3] = i64(helpers.atomic_fetch_or(v.d, 0x100))
        o.got[4] = i64(helpers.atomic_fetch_xor(g32, 0xFF))
        o.got[5] = i64(helpers.atomic_xchg(v.c, -7))
        o.got[6] = i64(helpers.atomic_cmpxchg(v.d, 5, 6))
        o.got[7] = i64(helpers.atomic_cmpxchg(v.b, v.b, 99))
        helpers.atomic_and(g32, 0xFFF)
        helpers.atomic_or(v.a, 1)
        helpers.atomic_xor(v.d, -1)
        o.got[8] = i64(v.a)
        o.got[9] = i64(v.b)
        o.got[10] = i64(v.c)
        o.got[11] = i64(v.d) + i64(g32)
        return 0
''')


@pytest.mark.parametrize("a,b,c,d", [(0, 0, 0, 0), (2**64 - 3, 1, -1, 5), (10, 2**32 - 1, 12345, -2**63)])
def test_each_operation_matches_the_simulator(a: int, b: int, c: int, d: int) -> None:
    with ebpfpy.load(ebpfpy.compile(source=SRC_OPS, filename="ops.py")) as obj:
        Args = obj.structs.Args
        obj.maps.vals[0] = Args(a=a, b=b, c=c, d=d)
        assert obj.programs.ops.test_run().retval == 0
        kernel = (list(obj.maps.out[0].got), bytes(obj.maps.vals[0]), obj.globals.g32)
    sim = Simulator(source=SRC_OPS, filename="ops.py")
    sim.maps.vals[0] = sim.structs.Args(a=a, b=b, c=c, d=d)
    assert sim.run("ops").retval == 0
    assert kernel == (list(sim.maps.out[0].got), bytes(sim.maps.vals[0]), sim.globals.g32)
    # what CPython computes for the same steps
    m64, m32 = 2**64, 2**32
    assert kernel[0][:2] == [a - m64 if a >= 2**63 else a, b]
    assert kernel[0][8] == (((a + 7) % m64) | 1) - (m64 if ((a + 7) % m64 | 1) >= 2**63 else 0)
    assert kernel[0][9] == 99
    assert kernel[0][10] == -7
