"""bitesize: summarize block I/O sizes per process as log2 histograms of Kbytes.

Port of bcc's libbpf-tools/bitesize.bpf.c, bitesize.h and bitesize.c
(github.com/iovisor/bcc): ``tp_btf/block_rq_issue`` keys a hash by the issuing command
(``-c`` keeps one command prefix, read-only ``targ_comm``) and adds the request's size
(``rq->__data_len`` in Kbytes) to its log2 histogram; ``-d DISK`` filters on the disk
(``filter_dev``/``targ_dev``, names from /proc/partitions); which tracepoint argument is the
request depends on ``LINUX_KERNEL_VERSION`` (a ``__kconfig`` value, ``Kconfig[u32]``), as
in the original.  The same output per interval.  The disk is ``rq->rq_disk`` before 5.16
and the queue's disk after, through a CO-RE flavour (``@kernel_struct request___x``), as
core_fixes.bpf.h's ``get_disk``.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/bitesize.py [-T] [-c COMM] [-d DISK] [INTERVAL [COUNT]]
"""
from ebpfpy import (Const, HashMap, Kconfig, bpf_function, bpf_program, helpers, i32,
                    kernel_struct, struct, u8, u32, u64)
from ebpfpy.kernel import gendisk, request

TASK_COMM_LEN = 16
MAX_SLOTS = 20
MINORBITS = 20


@struct
class HistKey:
    comm: u8[TASK_COMM_LEN]


@struct
class Hist:
    slots: u32[MAX_SLOTS]


targ_comm: Const[u8[TASK_COMM_LEN]]
filter_dev: Const[bool] = False
targ_dev: Const[u32] = 0
LINUX_KERNEL_VERSION: Kconfig[u32]

hists = HashMap(HistKey, Hist, max_entries=10240)


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
def comm_allowed(comm: u8[TASK_COMM_LEN]) -> bool:
    for i in range(TASK_COMM_LEN):
        if targ_comm[i] == 0:
            break
        if comm[i] != targ_comm[i]:
            return False
    return True


@kernel_struct
class request___x:
    rq_disk: gendisk                    # before 5.16; then the request queue's disk


@bpf_function
def get_disk_dev(rq: request) -> u32:
    """MKDEV of core_fixes.bpf.h's ``get_disk(rq)`` (0 without a disk)."""
    r = request___x(rq)
    if helpers.field_exists(r.rq_disk):
        return (u32(r.rq_disk.major) << MINORBITS) | u32(r.rq_disk.first_minor)
    else:
        return (u32(rq.q.disk.major) << MINORBITS) | u32(rq.q.disk.first_minor)


@bpf_function
def trace_rq_issue(rq: request) -> int:
    if filter_dev and targ_dev != get_disk_dev(rq):
        return 0
    hkey = HistKey()
    hkey.comm = helpers.get_current_comm()
    if targ_comm[0] != 0 and not comm_allowed(hkey.comm):
        return 0                        # (an empty targ_comm allows every command)
    hists.insert(hkey, Hist())
    histp = hists.lookup(hkey)
    if histp is None:
        return 0
    slot = log2l(u64(rq.__data_len) // 1024)
    if slot >= MAX_SLOTS:
        slot = MAX_SLOTS - 1
    helpers.atomic_add(histp.slots[slot], 1)
    return 0


@bpf_program("tp_btf/block_rq_issue")
def block_rq_issue(ctx) -> int:
    # kernels from 5.10.137 on pass the request alone (commit a54895fa); this kernel's BTF
    # names that one argument, so the older two-argument form cannot be written against it
    if LINUX_KERNEL_VERSION >= (5 << 16) + (10 << 8) + 137:
        return trace_rq_issue(ctx.rq)
    return 0


def main(argv=None) -> int:
    import argparse
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, partitions, print_log2_hist, strftime_now, text

    p = argparse.ArgumentParser(description="Summarize block device I/O size as a histogram.")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-c", "--comm", help="Trace this comm only")
    p.add_argument("-d", "--disk", help="Trace this disk only")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    parts = partitions()

    obj = ebpfpy.open(__file__)
    if args.comm:
        obj.config.targ_comm = list(args.comm.encode()[:TASK_COMM_LEN].ljust(TASK_COMM_LEN, b"\0"))
    if args.disk:
        dev = {name: d for d, name in parts.items()}.get(args.disk)
        if dev is None:
            print("invaild partition name: not exist", file=sys.stderr)
            return 1
        obj.config.filter_dev = True
        obj.config.targ_dev = dev
    with obj.load():
        obj.programs.block_rq_issue.attach()
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
                print(f"\nProcess Name = {text(key.comm)}")
                print_log2_hist(list(hist.slots), "Kbytes")
            for key, _ in items:
                del obj.maps.hists[key]
            sys.stdout.flush()
            times -= 1
            if stop.exiting or times == 0:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
