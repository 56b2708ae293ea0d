"""biolatency: summarize block device I/O latency as log2 histograms.

Port of bcc's libbpf-tools/biolatency.bpf.c, biolatency.h and biolatency.c
(github.com/iovisor/bcc): ``block_rq_issue`` (and with ``-Q`` ``block_rq_insert``) stamps
each request in a hash keyed by the ``struct request`` address (``u64(rq)``),
``block_rq_complete`` adds the latency to a log2 histogram keyed by disk (``-D``) and flags
(``-F``); read-only ``filter_cg``, ``targ_per_disk``, ``targ_per_flag``, ``targ_queued``,
``targ_ms``, ``filter_dev``/``targ_dev`` (``-d DISK``); the device number is ``MKDEV`` of the
request queue's disk, names from /proc/partitions; the same output per interval.  The
``tp_btf`` programs attach where the kernel has BTF, the ``raw_tp`` twins elsewhere.
Differences: this kernel's tracepoints take the request alone (``targ_single``, the
original's check of the BTF prototype, always holds here: kernels before 5.11 are not
covered).  The disk is ``rq->rq_disk`` before 5.16 and the queue's disk after, through a
CO-RE flavour (``@kernel_struct request___x``), as core_fixes.bpf.h's ``get_disk``.
Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/biolatency.py [-T] [-m] [-Q] [-D] [-F] [-d DISK] [-c CG] [INTERVAL [COUNT]]
"""
from ebpfpy import (CgroupArray, Const, HashMap, bpf_function, bpf_program, helpers, i32, i64,
                    kernel_struct, struct, u32, u64)
from ebpfpy.kernel import gendisk, request

MAX_ENTRIES = 10240
MAX_SLOTS = 27
MINORBITS = 20


@struct
class HistKey:
    cmd_flags: u32
    dev: u32


@struct
class Hist:
    slots: u32[MAX_SLOTS]


filter_cg: Const[bool] = False
targ_per_disk: Const[bool] = False
targ_per_flag: Const[bool] = False
targ_queued: Const[bool] = False
targ_ms: Const[bool] = False
filter_dev: Const[bool] = False
targ_dev: Const[u32] = 0

cgroup_map = CgroupArray(1)
start = HashMap(u64, u64, max_entries=MAX_ENTRIES)
hists = HashMap(HistKey, Hist, max_entries=MAX_ENTRIES)


@bpf_function
def log2l(v: u64) -> u64:
    """The index of the highest set bit (bits.bpf.h's ``log2l``; 0 for 0)."""
    r: u64 = 0
    for _ in range(64):
        if v <= 1:
            break
        v = v >> 1
        r += 1
    return r


@bpf_function
def mkdev(major: i32, first_minor: i32) -> u32:
    return (u32(major) << MINORBITS) | u32(first_minor)


@kernel_struct
class request___x:
    rq_disk: gendisk                    # before 5.16; then the request queue's disk


@bpf_function
def get_disk_dev(rq: u64) -> u32:
    """MKDEV of core_fixes.bpf.h's ``get_disk(rq)`` (``rq``: the request's address; a
    request without a disk reads as zeros, the original's dev 0)."""
    r = request___x(rq)
    if helpers.field_exists(r.rq_disk):
        return mkdev(r.rq_disk.major, r.rq_disk.first_minor)
    else:
        disk = request(rq).q.disk
        return mkdev(disk.major, disk.first_minor)


@bpf_function
def trace_rq_start(rq: u64, dev: u32, queued: bool, issue: bool) -> int:
    """``rq``: the request's address; ``dev``: its disk; ``queued``: its queue has an
    elevator (the I/O scheduler queued it before the issue)."""
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if issue and targ_queued and queued:
        return 0
    ts = helpers.ktime_get_ns()
    if filter_dev and targ_dev != dev:
        return 0
    start[rq] = ts
    return 0


@bpf_function
def handle_block_rq_complete(rq: u64, dev: u32, flags: u32) -> int:
    ts = helpers.ktime_get_ns()
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    tsp = start.lookup(rq)
    if tsp is None:
        return 0
    delta = i64(ts - tsp.value)
    if delta >= 0:
        hkey = HistKey()
        if targ_per_disk:
            hkey.dev = dev
        if targ_per_flag:
            hkey.cmd_flags = flags
        hists.insert(hkey, Hist())
        histp = hists.lookup(hkey)
        if histp is not None:
            if targ_ms:
                delta = delta // 1000000
            else:
                delta = delta // 1000
            slot = log2l(u64(delta))
            if slot >= MAX_SLOTS:
                slot = MAX_SLOTS - 1
            helpers.atomic_add(histp.slots[slot], 1)
    del start[rq]
    return 0


# the disk is read only when a filter or the per-disk histograms need it


@bpf_program("tp_btf/block_rq_insert")
def block_rq_insert_btf(ctx) -> int:
    dev: u32 = 0
    if filter_dev:                      # the disk only when a filter needs it
        dev = get_disk_dev(u64(ctx.rq))
    return trace_rq_start(u64(ctx.rq), dev, False, False)


@bpf_program("tp_btf/block_rq_issue")
def block_rq_issue_btf(ctx) -> int:
    dev: u32 = 0
    if filter_dev:
        dev = get_disk_dev(u64(ctx.rq))
    return trace_rq_start(u64(ctx.rq), dev, targ_queued and u64(ctx.rq.q.elevator) != 0, True)


@bpf_program("tp_btf/block_rq_complete")
def block_rq_complete_btf(ctx) -> int:
    dev: u32 = 0
    if targ_per_disk:
        dev = get_disk_dev(u64(ctx.rq))
    return handle_block_rq_complete(u64(ctx.rq), dev, ctx.rq.cmd_flags)


@bpf_program("raw_tp/block_rq_insert")
def block_rq_insert(ctx) -> int:
    dev: u32 = 0
    if filter_dev:
        dev = get_disk_dev(ctx.args[0])
    return trace_rq_start(ctx.args[0], dev, False, False)


@bpf_program("raw_tp/block_rq_issue")
def block_rq_issue(ctx) -> int:
    rq = request(ctx.args[0])
    dev: u32 = 0
    if filter_dev:
        dev = get_disk_dev(ctx.args[0])
    return trace_rq_start(ctx.args[0], dev, targ_queued and u64(rq.q.elevator) != 0, True)


@bpf_program("raw_tp/block_rq_complete")
def block_rq_complete(ctx) -> int:
    rq = request(ctx.args[0])
    dev: u32 = 0
    if targ_per_disk:
        dev = get_disk_dev(ctx.args[0])
    return handle_block_rq_complete(ctx.args[0], dev, rq.cmd_flags)


def main(argv=None) -> int:
    import argparse
    import os
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, cmd_flags, partitions, print_log2_hist, strftime_now

    p = argparse.ArgumentParser(description="Summarize block device I/O latency as a histogram.")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-m", "--milliseconds", action="store_true", help="Millisecond histogram")
    p.add_argument("-Q", "--queued", action="store_true", help="Include OS queued time in I/O time")
    p.add_argument("-D", "--disks", action="store_true", help="Print a histogram per disk device")
    p.add_argument("-F", "--flag", action="store_true", help="Print a histogram per set of I/O flags")
    p.add_argument("-d", "--disk", help="Trace this disk only")
    p.add_argument("-c", "--cgroup", help="Trace process in cgroup path")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    units = "msecs" if args.milliseconds else "usecs"
    parts = partitions()

    obj = ebpfpy.open(__file__)
    if args.disk:
        dev = {name: d for d, name in parts.items()}.get(args.disk)
        if dev is None:
            print(f"invalid partition name: not exist", file=sys.stderr)
            return 1
        obj.config.filter_dev = True
        obj.config.targ_dev = dev
    obj.config.targ_per_disk = args.disks
    obj.config.targ_per_flag = args.flag
    obj.config.targ_ms = args.milliseconds
    obj.config.targ_queued = args.queued
    obj.config.filter_cg = args.cgroup is not None
    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        btf = os.path.exists("/sys/kernel/btf/vmlinux")          # probe_tp_btf
        names = ["block_rq_issue", "block_rq_complete"] + (["block_rq_insert"] if args.queued else [])
        for name in names:
            obj.programs[name + "_btf" if btf else name].attach()
        stop = Interrupted()
        print("Tracing block device I/O... Hit Ctrl-C to end.", flush=True)
        times = args.times
        while True:
            end = time.monotonic() + args.interval
            while not stop.exiting and time.monotonic() < end:
                time.sleep(min(0.1, max(end - time.monotonic(), 0)))
            print()
            if args.timestamp:
                print(f"{strftime_now():<8}")
            items = obj.maps.hists.items()
            for key, hist in items:
                line = ""
                if args.disks:
                    line += f"\ndisk = {parts.get(key.dev, 'Unknown')}\t"
                if args.flag:
                    line += "flags = " + cmd_flags(key.cmd_flags)
                print(line)
                print_log2_hist(list(hist.slots), units)
            for key, _ in items:
                del obj.maps.hists[key]
            sys.stdout.flush()
            times -= 1
            if stop.exiting or times == 0:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
