"""The examples agree in the kernel and in ebpfpy.testing (packets through XDP)."""
from __future__ import annotations

from pathlib import Path

import ebpfpy
from ebpfpy.testing import Simulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_xdp_ethertype_agrees() -> None:
    path = EXAMPLES / "xdp_ethertype.py"
    packets = [bytes(12) + b"\x08\x00" + bytes(20),                  # IPv4
               bytes(12) + b"\x81\x00\x00\x01\x86\xdd" + bytes(10),  # 802.1Q, IPv6 inside
               bytes(12) + b"\x88\xa8\x00",                          # tag cut off
               bytes(14)]
    sim = Simulator(path)
    with ebpfpy.load(path) as obj:
        for p in packets:
            k = obj.programs.count_ethertype.test_run(data=p)
            s = sim.run("count_ethertype", data=p)
            assert (k.retval, k.data) == (s.retval, s.data)
        kernel = {key: sum(v) for key, v in obj.maps.counts.items()}    # summed over CPUs
    assert kernel == {key: sum(v) for key, v in sim.maps.counts.items()} == {0x800: 1, 0x86DD: 1, 0: 2}
