"""Per-CPU objects a program allocates, in the kernel: ``helpers.percpu_obj_new(T)``
(bpf_percpu_obj_new_impl) stored in a map value's ``PerCpuKptr[T]`` field with
``helpers.kptr_xchg``, and each CPU's copy reached with ``helpers.this_cpu_ptr(v.slot)`` /
``helpers.per_cpu_ptr(v.slot, cpu)`` (helpers 154 / 153) from an XDP program.

Packets run on chosen CPUs (the test pins itself with ``sched_setaffinity``; XDP
``test_run`` runs on the caller's CPU) add up per CPU as a Python model of one counter per
CPU says, and on one CPU the simulator agrees.
"""
from __future__ import annotations

import os
import random
import textwrap

import pytest

import ebpfpy
from ebpfpy.model.kernel_types import kernel_lacks_func
from ebpfpy.testing import Simulator

pytestmark = pytest.mark.skipif(kernel_lacks_func("bpf_percpu_obj_new_impl"),
                                reason="bpf_percpu_obj_new came with Linux 6.6")

PERCPU = textwrap.dedent('''
    from ebpfpy import Array, PerCpuKptr, XdpContext, bpf_program, helpers, struct, u32, u64

    @struct
    class Vals:
        sum: u64
        n: u64

    @struct
    class Slot:
        pc: PerCpuKptr[Vals]

    slots = Array(Slot, 1)

    @bpf_program("xdp")
    def add(ctx: XdpContext) -> int:
        """Count the packet's length into this CPU's copy, allocating the object first."""
        v = slots.lookup(0)
        if v is None:
            return 0
        x = helpers.this_cpu_ptr(v.pc)
        if x is None:
            p = helpers.percpu_obj_new(Vals)
            if p is None:
                return 0
            old = helpers.kptr_xchg(v.pc, p)
            if old is not None:
                helpers.percpu_obj_drop(old)
            x = helpers.this_cpu_ptr(v.pc)
            if x is None:
                return 0
        x.sum += ctx.data_end - ctx.data
        x.n += 1
        return 2

    @bpf_program("xdp")
    def get(ctx: XdpContext) -> int:
        """CPU k's sum * 1000 + count for k = the packet length - 14."""
        v = slots.lookup(0)
        if v is None:
            return 0
        x = helpers.per_cpu_ptr(v.pc, ctx.data_end - ctx.data - 14)
        if x is None:
            return 0
        return int(x.sum * 1000 + x.n)
''')


@pytest.fixture
def pinned():
    """Pins this thread to one CPU at a time (``pinned(cpu)``); restores the CPU set after."""
    before = os.sched_getaffinity(0)
    yield lambda cpu: os.sched_setaffinity(0, {cpu})
    os.sched_setaffinity(0, before)


def _get(obj, cpu: int) -> int:
    return obj.programs.get.test_run(data=bytes(14 + cpu)).retval


def test_one_cpu_matches_the_simulator(tmp_path, pinned) -> None:
    path = tmp_path / "percpu.py"
    path.write_text(PERCPU)
    sim = Simulator(source=PERCPU, filename="percpu.py")
    rng = random.Random(4)
    cpu = min(os.sched_getaffinity(0))
    pinned(cpu)
    total = n = 0
    with ebpfpy.load(str(path)) as obj:
        assert _get(obj, cpu) == 0                         # nothing stored yet
        for _ in range(40):
            size = rng.randrange(14, 200)
            got = obj.programs.add.test_run(data=bytes(size)).retval
            assert got == sim.run("add", data=bytes(size)).retval == 2
            total, n = total + size, n + 1
            assert _get(obj, cpu) == total * 1000 + n
            if cpu == 0:
                assert sim.run("get", data=bytes(14)).retval == total * 1000 + n


def test_each_cpu_counts_its_own_packets(tmp_path, pinned) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU available: nothing per-CPU to compare")
    path = tmp_path / "percpu.py"
    path.write_text(PERCPU)
    rng = random.Random(9)
    model = {c: [0, 0] for c in cpus}
    with ebpfpy.load(str(path)) as obj:
        for _ in range(60):
            cpu, size = rng.choice(cpus), rng.randrange(14, 300)
            pinned(cpu)
            assert obj.programs.add.test_run(data=bytes(size)).retval == 2
            model[cpu][0] += size
            model[cpu][1] += 1
        for cpu in cpus:
            assert _get(obj, cpu) == model[cpu][0] * 1000 + model[cpu][1], cpu
        assert _get(obj, os.cpu_count() + 64) == 0          # no such CPU: None
