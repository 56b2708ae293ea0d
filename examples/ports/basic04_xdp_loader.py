"""basic04: XDP programs counting packets and bytes per action in a per-CPU array, whose map
the loader pins in bpffs for a separate stats tool (basic04_xdp_stats.py) to read.

Port of xdp-tutorial's basic04-pinning-maps/xdp_prog_kern.c, common_kern_user.h and
xdp_loader.c (github.com/xdp-project/xdp-tutorial): ``xdp_pass_func``, ``xdp_drop_func`` and
``xdp_abort_func`` each record their action in ``xdp_stats_map`` (``BPF_MAP_TYPE_PERCPU_ARRAY``
of ``struct datarec {rx_packets, rx_bytes}``) through ``xdp_stats_record_action``; the
loader attaches ``--progname`` to ``--dev`` (left attached on exit through a pinned link,
xdp_common.py), pins the maps in ``/sys/fs/bpf/IFNAME/`` (removing a previous run's first);
``--unload`` removes the program and the pinned map.
Left out: the attach-mode flags
-S/-N/-A (a BPF link takes the driver's mode) and ``--filename``.

    sudo python examples/ports/basic04_xdp_loader.py --dev veth0 --progname xdp_drop_func
"""
from ebpfpy import (XDP_ABORTED, XDP_DROP, XDP_PASS, PerCpuArray, XdpContext, bpf_function,
                    bpf_program, struct, u32, u64)

XDP_ACTION_MAX = 5                  # XDP_REDIRECT + 1


@struct
class Datarec:
    rx_packets: u64
    rx_bytes: u64


xdp_stats_map = PerCpuArray(Datarec, max_entries=XDP_ACTION_MAX)


@bpf_function
def xdp_stats_record_action(ctx: XdpContext, action: u32) -> int:
    if action >= XDP_ACTION_MAX:
        return XDP_ABORTED
    rec = xdp_stats_map.lookup(action)
    if rec is None:
        return XDP_ABORTED
    # a per-CPU value and XDP runs in softirq: no other writer, no atomics needed
    rec.rx_packets += 1
    rec.rx_bytes += u64(ctx.data_end - ctx.data)     # the packet's length
    return action


@bpf_program("xdp")
def xdp_pass_func(ctx: XdpContext) -> int:
    return xdp_stats_record_action(ctx, XDP_PASS)


@bpf_program("xdp")
def xdp_drop_func(ctx: XdpContext) -> int:
    return xdp_stats_record_action(ctx, XDP_DROP)


@bpf_program("xdp")
def xdp_abort_func(ctx: XdpContext) -> int:
    return xdp_stats_record_action(ctx, XDP_ABORTED)


def main(argv=None) -> int:
    import os
    import sys

    import ebpfpy
    import xdp_common as common

    args = common.parser("XDP loader\n - Allows selecting BPF --progname name to XDP-attach "
                         "to --dev", progname="xdp_pass_func", quiet=True).parse_args(argv)
    idx = common.ifindex(args.dev)
    pin_dir = os.path.join(common.PIN_BASEDIR, args.dev)
    map_pin = os.path.join(pin_dir, "xdp_stats_map")
    if args.unload is not None or args.unload_all:
        if os.path.exists(map_pin):
            if not args.quiet:
                print(f" - Unpinning map {map_pin}")
            os.unlink(map_pin)
        if not common.do_unload(args.dev, args.unload):
            print("Couldn't unload XDP program: No such file or directory", file=sys.stderr)
            return common.EXIT_FAIL_XDP
        print("Success: Unloaded XDP program")
        return common.EXIT_OK
    if os.path.exists(map_pin):     # an earlier program might not have cleaned up
        if not args.quiet:
            print(f" - Unpinning (remove) prev maps in {pin_dir}/")
        os.unlink(map_pin)
    with ebpfpy.load(__file__, pin_dir=pin_dir) as obj:
        if args.progname not in list(obj.programs):
            print(f"ERR: loading program {args.progname}: No such file or directory",
                  file=sys.stderr)
            return common.EXIT_FAIL_BPF
        common.attach_pinned(obj.programs[args.progname], args.dev)
        if not args.quiet:
            print(f"Success: Loaded BPF-object({__file__}) and used program({args.progname})")
            print(f" - XDP prog attached on device:{args.dev}(ifindex:{idx})")
            print(f" - Pinning maps in {pin_dir}/")
    return common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
