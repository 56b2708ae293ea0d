"""The userspace half shared by the xdp-tutorial ports: xdp_stats's table.

Port of the printing part of github.com/xdp-project/xdp-tutorial's basic04-pinning-maps/
xdp_stats.c (the lessons packet01-03 run it beside xdp_loader): per XDP action the packets and
kilobytes counted so far in ``xdp_stats_map`` (a per-CPU array of ``rx_packets, rx_bytes``
records, summed over CPUs) and the rates since the last reading, under an ``XDP-action``
header, every ``interval`` seconds.  The C version prints with ``%'`` under the en_US locale:
thousands separators are commas.  Left out: finding the map through a pin (one process
loads, attaches and prints here).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

ACTIONS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]   # action2str


@dataclass
class Record:
    """One action's totals at ``timestamp`` (monotonic nanoseconds)."""

    timestamp: int
    rx_packets: int
    rx_bytes: int


def collect(stats_map: Any) -> list[Record]:
    """Every action's totals, summed over the CPUs (map_get_value_percpu_array)."""
    out = []
    for action in range(len(ACTIONS)):
        now = time.monotonic_ns()
        per_cpu = stats_map[action]
        out.append(Record(now, sum(v.rx_packets for v in per_cpu), sum(v.rx_bytes for v in per_cpu)))
    return out


def stats_lines(rec: list[Record], prev: list[Record]) -> list[str]:
    """The table stats_print prints for two readings (nothing when no time passed)."""
    lines = [f"{'XDP-action':<12}"]
    for i, action in enumerate(ACTIONS):
        period = (rec[i].timestamp - prev[i].timestamp) / 1e9
        if period == 0:
            return lines
        pps = (rec[i].rx_packets - prev[i].rx_packets) / period
        mbps = (rec[i].rx_bytes - prev[i].rx_bytes) * 8 / period / 1_000_000
        lines.append(f"{action:<12} {rec[i].rx_packets:>11,} pkts ({pps:>10,.0f} pps)"
                     f" {rec[i].rx_bytes // 1000:>11,} Kbytes ({mbps:>6,.0f} Mbits/s)"
                     f" period:{period:f}")
    return lines + [""]


def stats_poll(stats_map: Any, interval: float, keep_going: Callable[[], bool],
               out: Callable[[str], Any] = print) -> None:
    """stats_poll: a first reading, a quarter second, then a table every ``interval``
    seconds while ``keep_going()`` (and once more at the end, for the last packets)."""
    record = collect(stats_map)
    time.sleep(0.25)
    while True:
        prev, record = record, collect(stats_map)
        for line in stats_lines(record, prev):
            out(line)
        if not keep_going():
            return
        end = time.monotonic() + interval
        while keep_going() and time.monotonic() < end:
            time.sleep(0.05)
