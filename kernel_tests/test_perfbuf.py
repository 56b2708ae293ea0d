"""PerfEventArray on a real kernel: ``events.output(ctx, rec)`` from tracepoint and XDP
programs, the perf-buffer consumer (decoded records, exact lost counts, callbacks), and the
simulator's model of it."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

SOURCE = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, PerfEventArray, u8, u32, u64, helpers

    @struct
    class Ev:
        pid: u32
        tag: u32
        ts: u64

    @struct
    class Big:
        seq: u32
        pad: u8[252]

    events = PerfEventArray(event=Ev)
    bulk = PerfEventArray(event=Big)
    seq: u32 = 0

    @bpf_program("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx) -> int:
        e = Ev(pid=u32(helpers.get_current_pid_tgid() >> 32), tag=7, ts=helpers.ktime_get_ns())
        events.output(ctx, e)
        return 0

    @bpf_program("xdp")
    def on_xdp(ctx) -> int:
        global seq
        b = Big(seq=seq)
        seq += 1
        if bulk.output(ctx, b) != 0:
            return 1
        e = ctx.load(Ev, 0)
        if e is not None:
            events.output(ctx, Ev(pid=e.pid, tag=e.tag + 1, ts=e.ts))
        return 2
''')


@pytest.fixture()
def module(tmp_path: Path) -> Path:
    p = tmp_path / "perf_mod.py"
    p.write_text(SOURCE)
    return p


def test_tracepoint_records_arrive_decoded(module: Path) -> None:
    with ebpfpy.load(str(module)) as obj, obj.programs.on_getppid.attach():
        for _ in range(5):
            os.getppid()
        got = [e for e in obj.maps.events.poll(timeout=0.5) if e.pid == os.getpid()]
        assert [e.tag for e in got] == [7] * 5
        assert all(isinstance(e, obj.structs.Ev) for e in got)
        assert [e.ts for e in got] == sorted(e.ts for e in got)
        assert obj.maps.events.lost == 0


def test_xdp_output_agrees_with_the_simulator(module: Path) -> None:
    sim = Simulator(str(module))
    packet = bytes(range(16)) * 4
    with ebpfpy.load(str(module)) as obj:
        r = obj.programs.on_xdp.test_run(data=packet)
        s = sim.run("on_xdp", data=packet)
        assert r.retval == s.retval == 2
        assert obj.maps.events.consume() == s.events["events"]
        assert [b.seq for b in obj.maps.bulk.consume()] == [b.seq for b in s.events["bulk"]] == [0]


def test_lost_records_are_counted_exactly(module: Path) -> None:
    """One CPU, one page: of 2,000 outputs of 256-byte records most are lost, and the
    kernel's PERF_RECORD_LOST counts reach the ``lost`` callback and :attr:`lost` so that
    received + lost is exactly the number output."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        with ebpfpy.load(str(module)) as obj:
            bulk = obj.maps.bulk
            bulk.resize(1)
            obj.programs.on_xdp.test_run(data=bytes(16), repeat=2000)
            seen: list[int] = []
            losses: list[tuple[int, int]] = []
            bulk.poll(timeout=0.2, callback=lambda b: seen.append(b.seq),
                      lost=lambda cpu, n: losses.append((cpu, n)))
            # the kernel emits PERF_RECORD_LOST with the next record that fits
            obj.programs.on_xdp.test_run(data=bytes(16))
            bulk.poll(timeout=0.2, callback=lambda b: seen.append(b.seq),
                      lost=lambda cpu, n: losses.append((cpu, n)))
            total_lost = sum(n for _, n in losses)
            assert total_lost == bulk.lost > 0
            assert {cpu for cpu, _ in losses} == {min(before)}
            assert len(seen) + total_lost == 2001 == bulk.received + bulk.lost
            assert seen == sorted(seen) and seen[-1] == 2000
    finally:
        os.sched_setaffinity(0, before)


def test_a_callback_exception_reaches_the_caller_and_polling_goes_on(module: Path) -> None:
    with ebpfpy.load(str(module)) as obj:
        for _ in range(3):
            obj.programs.on_xdp.test_run(data=bytes(16))

        def boom(_rec: object) -> None:
            raise RuntimeError("from the callback")
        with pytest.raises(RuntimeError, match="from the callback"):
            obj.maps.bulk.poll(timeout=0.1, callback=boom)
        obj.programs.on_xdp.test_run(data=bytes(16))
        assert len(obj.maps.bulk.consume()) >= 1


def test_resize_refuses_what_is_not_a_power_of_two(module: Path) -> None:
    with ebpfpy.load(str(module)) as obj:
        with pytest.raises(ValueError, match="power of two"):
            obj.maps.bulk.resize(3)
        obj.maps.bulk.resize(4)
        obj.programs.on_xdp.test_run(data=bytes(16))
        assert [b.seq for b in obj.maps.bulk.consume()] == [0]
        assert repr(obj.maps.bulk).startswith("<PerfEventArray 'bulk'")


def test_records_decode_from_elf_bytes(module: Path) -> None:
    """The record type travels in the object's BTF, so load(elf_bytes) decodes too."""
    with ebpfpy.load(ebpfpy.compile(str(module))) as obj:
        obj.programs.on_xdp.test_run(data=bytes(16))
        (ev,) = obj.maps.events.consume()
        assert type(ev).__name__ == "Ev" and ev.tag == 1


def test_poll_after_close_is_an_error(module: Path) -> None:
    obj = ebpfpy.load(str(module))
    events = obj.maps.events
    obj.close()
    with pytest.raises(ValueError, match="closed"):
        list(events.poll(timeout=0))


EXPLICIT = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, PerfEventArray, u32, u64, i64, helpers, BPF_F_CURRENT_CPU

    @struct
    class Ev:
        cpu: u32
        r_here: i64
        r_other: i64
        r_far: i64

    events = PerfEventArray(event=Ev)

    @bpf_program("xdp")
    def on_xdp(ctx) -> int:
        e = Ev(cpu=helpers.get_smp_processor_id())
        e.r_here = helpers.perf_event_output(ctx, events, u64(e.cpu), e)
        e.r_other = helpers.perf_event_output(ctx, events, u64(e.cpu ^ 1), e)
        e.r_far = helpers.perf_event_output(ctx, events, 1 << 20, e)
        helpers.perf_event_output(ctx, events, BPF_F_CURRENT_CPU, e)
        return 2
''')


def test_perf_event_output_with_explicit_flags(tmp_path: Path) -> None:
    """The helper spelling: this CPU's index works, another CPU's is -EOPNOTSUPP (the kernel
    writes only to the running CPU's event), an index past the slots -E2BIG."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs")
    p = tmp_path / "perf_explicit.py"
    p.write_text(EXPLICIT)
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        with ebpfpy.load(str(p)) as obj:
            obj.programs.on_xdp.test_run(data=bytes(16))
            got = obj.maps.events.consume()
    finally:
        os.sched_setaffinity(0, before)
    assert len(got) == 2                          # the index-0 write and the BPF_F_CURRENT_CPU one
    assert [e.cpu for e in got] == [0, 0]
    assert (got[1].r_here, got[1].r_other, got[1].r_far) == (0, -95, -7)   # as the last write saw
    sim = Simulator(str(p))
    (_s1, s2) = sim.run("on_xdp", data=bytes(16)).events["events"]
    # the simulator has one CPU: index 1 is past its slots too
    assert (s2.r_here, s2.r_other, s2.r_far) == (0, -7, -7)
