"""Flexible array members: ``items: Flex[T, N]``, a struct's last field (C's ``T items[]``).

BPF code fills up to ``N`` items of a record built in a local (or reserved from a ring
buffer) and sends the part it used with ``output(rec, size)``; userspace decodes exactly the
items that arrived.  The execsnoop-style test packs a real ``execve``'s filename and
arguments into a ``Flex[u8, CAP]`` record and compares it with a Python model of the
packing; the syscall tests compare kernel, simulator and CPython's own ``bytes(rec)``.  A
kernel struct's flexible array (``struct cgroup *ancestors[]``) is read element by element in
a nested test cgroup and compared with the cgroup directories' inode numbers."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.loader.programs import _cgroup2_root
from ebpfpy.testing import Simulator

CAP, ARGSIZE, MAXARGS, HEAD = 256, 64, 8, 12

SRC = textwrap.dedent('''
    from ebpfpy import (Flex, HashMap, PerfEventArray, RingBuf, bpf_program, helpers, struct,
                        i32, u8, u32, u64)

    CAP = 256
    ARGSIZE = 64
    MAXARGS = 8
    HEAD = 12                       # the bytes before args (C's offsetof(struct event, args))

    @struct
    class Event:
        pid: u32
        args_count: u32
        args_size: u32
        args: Flex[u8, CAP]         # char args[]: C's sizeof(struct event) is 12

    @struct
    class Samples:
        count: u32
        values: Flex[u32, 8]

    @struct
    class Args:
        n: u32

    rb = RingBuf(1 << 16, event=Event)
    perf = PerfEventArray(event=Event)
    nums = RingBuf(4096, event=Samples)
    parents = HashMap(u32, u32, 4)   # the test's pid: only its children's execs are packed

    @bpf_program("tracepoint/syscalls/sys_enter_execve")
    def on_exec(ctx) -> int:
        if u32(helpers.get_current_task_btf().real_parent.tgid) not in parents:
            return 0
        e = Event(pid=u32(helpers.get_current_pid_tgid() >> 32))
        ret = helpers.probe_read_user_str(e.args[0:ARGSIZE], ctx.filename)
        if ret < 0:
            return 0
        e.args_size = u32(ret)
        e.args_count = 1
        argp = u64[1]()
        for i in range(1, MAXARGS):
            if helpers.probe_read_user(argp, ctx.argv + u64(i) * 8) < 0 or argp[0] == 0:
                break
            off = e.args_size
            if off > CAP - ARGSIZE:
                break
            r = helpers.probe_read_user_str(e.args[off:off + ARGSIZE], argp[0])
            if r < 0:
                break
            e.args_count += 1
            e.args_size += u32(r)
        rb.output(e, HEAD + e.args_size)
        perf.output(ctx, e, HEAD + e.args_size)
        return 0

    @bpf_program("syscall")
    def squares(ctx: Args) -> int:
        s = Samples()
        for i in range(8):
            if i >= ctx.n:
                break
            s.values[i] = u32(i * i)
            s.count += 1
        nums.output(s, 4 + s.count * 4)
        r = nums.reserve()               # a reservation holds the whole capacity
        if r is None:
            return 1
        r.count = 8
        r.values[7] = 49
        nums.submit(r)
        return 0
''')


def packed(argv: list[bytes]) -> tuple[int, bytes]:
    """What on_exec packs: each string cut to ARGSIZE - 1 bytes and its NUL, back to back,
    until MAXARGS strings or no room for another ARGSIZE."""
    out, count = b"", 0
    for i, a in enumerate(argv[:MAXARGS]):
        if i and len(out) > CAP - ARGSIZE:
            break
        out += a[:ARGSIZE - 1] + b"\0"
        count += 1
    return count, out


ARGVS = [[b"/bin/true"], [b"/bin/true", b"-la", b"", b"x" * 100, b"end"],
         [b"/bin/true"] + [bytes([65 + i]) * 60 for i in range(7)]]


def test_exec_arguments_packed_into_a_flexible_array() -> None:
    with ebpfpy.load(ebpfpy.compile(source=SRC, filename="flexsnoop.py")) as obj:
        obj.maps.parents[os.getpid()] = 1
        children = []
        with obj.programs.on_exec.attach():         # attached before any child starts
            for argv in ARGVS:
                p = subprocess.run([a.decode() for a in argv], check=True)
                children.append(p)
            ring = list(obj.maps.rb.poll(timeout=1.0))
            perf = list(obj.maps.perf.poll(timeout=1.0))
    assert len(ring) == len(ARGVS) and len(perf) == len(ARGVS)
    for argv, ev, pev in zip(ARGVS, ring, perf):
        count, want = packed(argv)
        assert (ev.args_count, ev.args_size, ev.args) == (count, len(want), want)
        # a ring buffer gives the exact size: bytes(ev) is what the program sent
        assert len(bytes(ev)) == HEAD + len(want)
        # a perf buffer pads the sample to 8 bytes (with its u32 size): up to 7 zero items more
        assert (pev.pid, pev.args_count, pev.args_size) == (ev.pid, count, len(want))
        extra = (HEAD + len(want) + 4 + 7) // 8 * 8 - 4 - HEAD - len(want)
        assert pev.args == want + bytes(extra)
    assert ring[2].args_count < len(ARGVS[2])          # the capacity stopped the packing


def test_items_decoded_as_sent_kernel_sim_and_cpython_agree() -> None:
    for n in (0, 3, 8):
        with ebpfpy.load(ebpfpy.compile(source=SRC, filename="flexsnoop.py")) as obj:
            ctx = obj.structs.Args(n=n)
            assert obj.programs.squares.test_run(ctx=ctx).retval == 0
            got = list(obj.maps.nums.poll(timeout=0.2))
            Samples = obj.structs.Samples
        sim = Simulator(source=SRC, filename="flexsnoop.py")
        assert sim.run("squares", ctx=bytes(ctx)).retval == 0
        want = [Samples(count=n, values=[i * i for i in range(n)]),
                Samples(count=8, values=[0] * 7 + [49])]
        assert got == want
        assert [repr(r) for r in sim.events("nums")] == [repr(r) for r in want]
        assert [bytes(r) for r in got] == [n.to_bytes(4, "little") + b"".join(
            (i * i).to_bytes(4, "little") for i in range(n)), bytes(b"\x08\0\0\0" + bytes(28) +
                                                                  (49).to_bytes(4, "little"))]


# a kernel struct's flexible array: struct cgroup's `struct cgroup *ancestors[]`
CGROUP_SRC = textwrap.dedent('''
    from ebpfpy import Array, HashMap, bpf_program, helpers, u32, u64

    MAXLEVEL = 8
    ids = Array(u64, MAXLEVEL + 2)       # [0]: the cgroup's level; [1 + i]: ancestor i's id
    me = HashMap(u32, u32, 4)

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) not in me:
            return 0
        cg = helpers.get_current_task_btf().cgroups.dfl_cgrp
        level = cg.level
        ids[0] = u64(level)
        for i in range(MAXLEVEL):
            if i > level:                # ancestors[0..level]: the root down to cg itself
                break
            ids[1 + i] = cg.ancestors[i].kn.id
        return 0
''')
CHILD = "import os, sys; sys.stdin.read(1); os.getppid()"


@pytest.fixture()
def nested_cgroup():
    root = Path(_cgroup2_root())
    outer = root / f"ebpfpy_flex_{os.getpid()}"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    try:
        yield root, outer, inner
    finally:
        for d in (inner, outer):
            for _ in range(50):                  # a just-exited child may linger a moment
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def test_kernel_flexible_array_read_element_by_element(nested_cgroup) -> None:
    root, outer, inner = nested_cgroup
    with ebpfpy.load(ebpfpy.compile(source=CGROUP_SRC, filename="cgflex.py")) as obj:
        with obj.programs.on_getppid.attach():
            child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE)
            obj.maps.me[child.pid] = 1
            (inner / "cgroup.procs").write_text(str(child.pid))
            child.communicate(b"x", timeout=60)
        got = [obj.maps.ids[i] for i in range(10)]
    # a cgroup's id is its kernfs node's, which cgroup2fs shows as the directory's inode
    want = [os.stat(d).st_ino for d in (root, outer, inner)]
    assert got[0] == 2 and got[1:4] == want and got[4:] == [0] * 6


# struct items: struct pid's `struct upid numbers[]`, indexed by the pid's own level (runqlat
# --pidnss reads the task's PID namespace this way)
PIDNS_SRC = textwrap.dedent('''
    from ebpfpy import HashMap, bpf_program, helpers, struct, u32, u64

    @struct
    class Seen:
        level: u32
        nr: u32
        inum: u32

    seen = HashMap(u32, Seen, 256)          # global tgid -> its PID namespace view

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        pid = helpers.get_current_task_btf().thread_pid
        level = pid.level
        if level == 0:
            return 0
        up = pid.numbers[level]             # a reference to the item: fields read from it
        seen[u32(helpers.get_current_pid_tgid() >> 32)] = Seen(
            level=level, nr=u32(up.nr), inum=up.ns.ns.inum)
        return 0
''')
INSIDE = ("import os, sys; st = open('/proc/self/status').read(); "
          "print(st.split('NSpid:')[1].split()[0], os.stat('/proc/self/ns/pid').st_ino, "
          "os.getpid(), flush=True); os.getppid()")


def test_kernel_flexible_array_of_structs_by_reference() -> None:
    with ebpfpy.load(ebpfpy.compile(source=PIDNS_SRC, filename="pidns.py")) as obj:
        with obj.programs.on_getppid.attach():
            out = subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-c", INSIDE],
                                 capture_output=True, text=True, timeout=60, check=True).stdout
            outside_pid, ns_inode, inside_pid = (int(x) for x in out.split())
        got = obj.maps.seen[outside_pid]
    own_level = len(Path("/proc/self/status").read_text().split("NSpid:")[1]
                    .splitlines()[0].split()) - 1
    assert (got.level, got.nr, got.inum) == (own_level + 1, inside_pid, ns_inode)
    assert inside_pid == 1 and ns_inode != os.stat("/proc/self/ns/pid").st_ino
