"""``ebpfpy run`` without a kernel: which programs it attaches, and how it prints maps."""
from __future__ import annotations

import json

import pytest

from ebpfpy import struct, u8, u32
from ebpfpy.cli_maps import jsonable, looks_like_log2_hist, render_map
from ebpfpy.cli_run import attach_all


class FakeProgram:
    def __init__(self, section: str, fail: str | None = None) -> None:
        self.section, self.fail, self.calls = section, fail, []

    def attach(self, iface=None):
        self.calls.append(iface)
        if self.fail:
            raise OSError(self.fail)
        return object()


class FakeObject:
    def __init__(self, **programs: FakeProgram) -> None:
        self.programs = programs


def test_attach_all_says_what_was_not_attached_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    obj = FakeObject(tp=FakeProgram("tracepoint/syscalls/sys_enter_openat"),
                     pkt=FakeProgram("xdp"), sys_=FakeProgram("syscall"),
                     bad=FakeProgram("kprobe/nope", fail="no such function"))
    links = attach_all(obj, iface=None)
    err = capsys.readouterr().err.splitlines()
    assert len(links) == 1 and obj.programs["tp"].calls == [None]
    assert obj.programs["pkt"].calls == [] and obj.programs["sys_"].calls == []
    assert "attached: tp (tracepoint/syscalls/sys_enter_openat)" in err
    assert "not attached: pkt (xdp): needs an interface: --iface IF" in err
    assert "not attached: sys_ (syscall): runs only through test_run" in err
    assert "not attached: bad (kprobe/nope): no such function" in err


def test_attach_all_attaches_a_chain_by_its_entry_only(capsys: pytest.CaptureFixture[str]) -> None:
    obj = FakeObject(big=FakeProgram("tracepoint/syscalls/sys_enter_openat"),
                     big__part1=FakeProgram("tracepoint/syscalls/sys_enter_openat"))
    obj.chain_parts = {"big__part1": "big__parts"}
    assert len(attach_all(obj, iface=None)) == 1
    assert obj.programs["big"].calls == [None] and obj.programs["big__part1"].calls == []
    assert "not attached: big__part1 (tracepoint/syscalls/sys_enter_openat): a part of a " \
        "tail-call chain (through big__parts)" in capsys.readouterr().err.splitlines()


def test_attach_all_passes_the_interface_to_xdp_and_tc() -> None:
    obj = FakeObject(pkt=FakeProgram("xdp"), cls=FakeProgram("tc/ingress"),
                     tp=FakeProgram("raw_tp/sched_switch"))
    assert len(attach_all(obj, iface="veth0")) == 3
    assert obj.programs["pkt"].calls == ["veth0"] and obj.programs["cls"].calls == ["veth0"]
    assert obj.programs["tp"].calls == [None]


def test_plain_map_prints_one_line_per_key() -> None:
    assert render_map("counts", [(1, 4), (2000, 10)], 1024) == "@counts[1]: 4\n@counts[2000]: 10\n\n"
    assert render_map("counts", [], 1024) == "@counts: (empty)\n\n"


def test_log2_histogram_layout() -> None:
    text = render_map("lat_hist", [(3, 4), (4, 8), (6, 2), (10, 1)])
    assert text.endswith("|\n\n")
    lines = text.rstrip("\n").splitlines()
    assert lines[0] == "@lat_hist:"
    assert lines[1].startswith("[8, 16)") and lines[1].split("|")[1].count("@") == 20
    assert lines[2].startswith("[16, 32)") and lines[2].split("|")[1].count("@") == 40
    assert lines[-1].startswith("[1K, 2K)")
    assert len(lines) == 1 + (10 - 3 + 1)          # zero buckets inside the range are kept


@pytest.mark.parametrize("name,items,max_entries,array,expected", [
    ("lat_hist", [(0, 1), (5, 3)], 1024, False, True),
    ("sizes_log2", [(2, 1)], None, False, True),
    ("buckets", [(k, 0) for k in range(65)], 65, True, True),     # a full u64 log2 array
    ("counts", [(1, 1), (3, 2)], 1024, False, False),             # small keys, a hash of pids
    ("lat_hist", [(100, 1)], 1024, False, False),                 # key past bucket 64
    ("lat_hist", [(1, b"xx")], 1024, False, False),               # values are not counts
    ("counts", [(0, 4)], 1, False, False),                        # a full one-entry hash map
    ("counts", [(0, 1), (1, 2)], 2, False, False),                # a full small hash map
    ("total", [(0, 4)], 1, True, False),                          # a one-element array: a counter
])
def test_histogram_detection(name, items, max_entries, array, expected) -> None:
    assert looks_like_log2_hist(name, items, max_entries, array) is expected


def test_per_cpu_counts_are_summed_in_histograms() -> None:
    text = render_map("hist", [(1, [1, 2]), (2, [3, 3])])
    assert "        3 |" in text and "        6 |" in text


def test_jsonable_values() -> None:
    @struct
    class Ev:
        pid: u32
        comm: u8[4]

    ev = Ev(pid=7, comm=b"ab\0\0")
    assert json.loads(json.dumps(jsonable(ev))) == {"pid": 7, "comm": [97, 98, 0, 0]}
    assert jsonable(b"\x01\x02") == [1, 2]
    assert jsonable([1, (2, 3)]) == [1, [2, 3]]
