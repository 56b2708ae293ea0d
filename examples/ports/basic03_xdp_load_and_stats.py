"""basic03: an XDP program counting packets in an array map, and a loader printing the count.

Port of xdp-tutorial's basic03-map-counter/xdp_prog_kern.c, common_kern_user.h and
xdp_load_and_stats.c (github.com/xdp-project/xdp-tutorial): ``xdp_stats1_func`` counts the
packets it passes in ``xdp_stats_map[XDP_PASS].rx_packets`` (a ``struct datarec`` in an
array of ``XDP_ACTION_MAX`` entries); the loader attaches it to ``--dev`` (left attached on
exit, through a pinned link: xdp_common.py), checks the map's key and value sizes, then
prints the total and the packets per second every two seconds until Ctrl-C.
The count is one atomic add (``helpers.atomic_add``, the original's
``__sync_fetch_and_add``).  Left out: the attach-mode flags -S/-N/-A (a BPF link
takes the driver's mode) and ``--filename`` (the program is this module's).

    sudo python examples/ports/basic03_xdp_load_and_stats.py --dev veth0
"""
from ebpfpy import XDP_ABORTED, XDP_PASS, Array, XdpContext, bpf_program, helpers, struct, u64

XDP_ACTION_MAX = 5                  # XDP_REDIRECT + 1


@struct
class Datarec:
    rx_packets: u64


xdp_stats_map = Array(Datarec, XDP_ACTION_MAX)


@bpf_program("xdp")
def xdp_stats1_func(ctx: XdpContext) -> int:
    rec = xdp_stats_map.lookup(XDP_PASS)
    if rec is None:                 # the verifier wants the check, though the key exists
        return XDP_ABORTED
    helpers.atomic_add(rec.rx_packets, 1)           # lock_xadd: CPUs share the record
    return XDP_PASS


def main(argv=None) -> int:
    import sys
    import time

    import ebpfpy
    import xdp_common as common
    from trace_helpers import Interrupted

    args = common.parser("XDP loader and stats program\n - Allows selecting BPF --progname "
                         "name to XDP-attach to --dev", progname="xdp_stats1_func", quiet=True
                         ).parse_args(argv)
    idx = common.ifindex(args.dev)
    done = common.unload_or_none(args, args.progname)
    if done is not None:
        return done
    stop = Interrupted()
    with ebpfpy.load(__file__) as obj:
        prog = obj.programs[args.progname]
        common.attach_pinned(prog, args.dev)
        if not args.quiet:
            print(f"Success: Loaded BPF-object({__file__}) and used section({args.progname})")
            print(f" - XDP prog id:{prog.id} attached on device:{args.dev}(ifindex:{idx})")
        stats = obj.maps.xdp_stats_map
        if (stats.key_size, stats.value_size, stats.max_entries) != (4, 8, XDP_ACTION_MAX):
            print("ERR: map via FD not compatible", file=sys.stderr)
            return common.EXIT_FAIL
        if not args.quiet:
            print("\nCollecting stats from BPF map")
            print(f" - BPF map (bpf_map_type:{stats.map_type}) id:{stats.id} "
                  f"name:xdp_stats_map key_size:4 value_size:8 max_entries:{XDP_ACTION_MAX}")
            print("\nXDP-action  ")
        sys.stdout.flush()

        def collect() -> tuple[float, int]:
            return time.monotonic(), stats[XDP_PASS].rx_packets

        prev = collect()
        time.sleep(0.25)
        while not stop.exiting:
            rec = collect()
            period = rec[0] - prev[0]
            if period > 0:
                pps = (rec[1] - prev[1]) / period
                print(f"{common.action2str(XDP_PASS):<12} {rec[1]:>11,} pkts ({pps:>10,.0f} pps)"
                      f" period:{period:f}", flush=True)
            prev = rec
            for _ in range(20):
                if stop.exiting:
                    break
                time.sleep(0.1)         # sleep(interval), ending early on Ctrl-C
    return common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
