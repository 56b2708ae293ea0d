"""basic04: the stats tool reading the per-CPU action counters basic04_xdp_loader.py pinned.

Port of xdp-tutorial's basic04-pinning-maps/xdp_stats.c (github.com/xdp-project/xdp-tutorial):
open ``/sys/fs/bpf/IFNAME/xdp_stats_map``, check its key and value sizes, and every two
seconds print per XDP action the packets, packets per second, kbytes and Mbit/s, summed over
the CPUs.  ebpfpy reaches a pinned map by loading the module that declares it with the same
``pin_dir`` (libbpf reuses the pinned map; nothing is attached).  Left out: nothing.

    sudo python examples/ports/basic04_xdp_stats.py --dev veth0
"""


def main(argv=None) -> int:
    import argparse
    import os
    import sys
    import time

    import ebpfpy
    import xdp_common as common
    from trace_helpers import Interrupted

    p = argparse.ArgumentParser(description="XDP stats program\n - Finding xdp_stats_map "
                                "via --dev name info")
    p.add_argument("-d", "--dev", required=True, help="Operate on device <ifname>")
    p.add_argument("-q", "--quiet", action="store_true", help="Quiet mode (no output)")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    common.ifindex(args.dev)
    pin_dir = os.path.join(common.PIN_BASEDIR, args.dev)
    if not os.path.exists(os.path.join(pin_dir, "xdp_stats_map")):
        print(f"ERR: Failed to open bpf map file:{pin_dir}/xdp_stats_map err(2):"
              "No such file or directory", file=sys.stderr)
        return common.EXIT_FAIL_BPF
    loader = os.path.join(os.path.dirname(os.path.abspath(__file__)), "basic04_xdp_loader.py")
    stop = Interrupted()
    with ebpfpy.load(loader, pin_dir=pin_dir) as obj:
        end = time.monotonic() + args.duration if args.duration else None
        stats = obj.maps.xdp_stats_map
        if (stats.key_size, stats.value_size, stats.max_entries) != (4, 16, 5):
            print("ERR: map via FD not compatible", file=sys.stderr)
            return common.EXIT_FAIL
        if not args.quiet:
            print("\nCollecting stats from BPF map")
            print(f" - BPF map (bpf_map_type:{stats.map_type}) id:{stats.id} name:xdp_stats_map"
                  f" key_size:4 value_size:16 max_entries:5", flush=True)

        def collect() -> list[tuple[float, int, int]]:
            recs = []
            for action in range(stats.max_entries):
                now = time.monotonic()
                cpus = stats[action]
                recs.append((now, sum(c.rx_packets for c in cpus), sum(c.rx_bytes for c in cpus)))
            return recs

        prev = collect()
        time.sleep(0.25)
        while not stop.exiting and (end is None or time.monotonic() < end):
            rec = collect()
            print(f"{'XDP-action':<12}")
            for action, ((t, pkts, nbytes), (t0, pkts0, nbytes0)) in enumerate(zip(rec, prev)):
                period = t - t0
                if period <= 0:
                    break
                pps = (pkts - pkts0) / period
                bps = (nbytes - nbytes0) * 8 / period / 1000000
                print(f"{common.action2str(action):<12} {pkts:>11,} pkts ({pps:>10,.0f} pps)"
                      f" {nbytes // 1000:>11,} Kbytes ({bps:>6,.0f} Mbits/s) period:{period:f}")
            print(flush=True)
            prev = rec
            for _ in range(20):
                if stop.exiting or (end is not None and time.monotonic() >= end):
                    break
                time.sleep(0.1)
    return common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
