"""biopattern: identify random and sequential disk I/O per device.

Port of bcc's libbpf-tools/biopattern.bpf.c, biopattern.h and biopattern.c
(github.com/iovisor/bcc): the ``block/block_rq_complete`` tracepoint counts, per device, the
completions that start where the previous one ended (sequential) or elsewhere (random),
with their bytes, in a hash of ``struct counter`` (atomic adds); read-only
``filter_dev``/``targ_dev`` (``-d DISK``, names from /proc/partitions); each interval prints
and clears the counts in the same columns.  Differences: the record's fields are read by
their tracefs names (``ctx.dev``, ``ctx.sector``, ``ctx.nr_sector``), which this kernel's
``block_rq_complete`` has; the original also reads kernels whose record is
``block_rq_completion`` through a CO-RE flavour.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/biopattern.py [-T] [-d DISK] [INTERVAL [COUNT]]
"""
from ebpfpy import Const, HashMap, bpf_program, helpers, struct, u32, u64


@struct
class Counter:
    last_sector: u64
    bytes: u64
    sequential: u32
    random: u32


filter_dev: Const[bool] = False
targ_dev: Const[u32] = 0

counters = HashMap(u32, Counter, max_entries=64)


@bpf_program("tracepoint/block/block_rq_complete")
def handle__block_rq_complete(ctx) -> int:
    sector = u64(ctx.sector)
    nr_sector = u32(ctx.nr_sector)
    dev = u32(ctx.dev)
    if filter_dev and targ_dev != dev:
        return 0
    counters.insert(dev, Counter())                 # bpf_map_lookup_or_try_init
    counterp = counters.lookup(dev)
    if counterp is None:
        return 0
    if counterp.last_sector != 0:
        if counterp.last_sector == sector:
            helpers.atomic_add(counterp.sequential, 1)
        else:
            helpers.atomic_add(counterp.random, 1)
        helpers.atomic_add(counterp.bytes, u64(nr_sector) * 512)
    counterp.last_sector = sector + nr_sector
    return 0


def main(argv=None) -> int:
    import argparse
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, partitions, strftime_now

    p = argparse.ArgumentParser(description="Show block device I/O pattern.")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-d", "--disk", help="Trace this disk only")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    parts = partitions()

    obj = ebpfpy.open(__file__)
    if args.disk:
        dev = {name: d for d, name in parts.items()}.get(args.disk)
        if dev is None:
            print("invaild partition name: not exist", file=sys.stderr)
            return 1
        obj.config.filter_dev = True
        obj.config.targ_dev = dev
    with obj.load():
        obj.programs.handle__block_rq_complete.attach()
        stop = Interrupted()
        print("Tracing block device I/O requested seeks... Hit Ctrl-C to end.")
        head = f"{'TIME':<9} " if args.timestamp else ""
        print(head + f"{'DISK':<7} {'%RND':>5} {'%SEQ':>5} {'COUNT':>8} {'KBYTES':>10}", flush=True)
        times = args.times
        while True:
            end = time.monotonic() + args.interval
            while not stop.exiting and time.monotonic() < end:
                time.sleep(min(0.1, max(end - time.monotonic(), 0)))
            items = obj.maps.counters.items()
            for dev, c in items:
                total = c.sequential + c.random
                if not total:
                    continue
                line = f"{strftime_now():<9} " if args.timestamp else ""
                print(line + f"{parts.get(dev, 'Unknown'):<7} {c.random * 100 // total:>5} "
                      f"{c.sequential * 100 // total:>5} {total:>8} {c.bytes // 1024:>10}")
            for dev, _ in items:
                del obj.maps.counters[dev]
            sys.stdout.flush()
            times -= 1
            if stop.exiting or times == 0:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
