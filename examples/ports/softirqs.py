"""softirqs: summarize soft IRQ event time, as totals or log2 histograms per vector.

Port of bcc's libbpf-tools/softirqs.bpf.c, softirqs.h and softirqs.c
(github.com/iovisor/bcc): ``softirq_entry`` stamps the time in a per-CPU array,
``softirq_exit`` adds the time to the global arrays ``counts[vec]`` and ``time[vec]`` with
atomic adds (``-d``: a log2 slot of ``hists[vec]``), read-only ``targ_dist``, ``targ_ns``
and ``targ_cpu``; userspace prints what the globals grew by each interval (the original swaps them for
zeros with atomic exchanges; a difference loses nothing either) in the same table or
histograms.  As the original, the ``tp_btf`` programs attach where the kernel has
BTF and the ``raw_tp`` twins elsewhere.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/softirqs.py [-d] [-T] [-N] [-C] [-c CPU] [INTERVAL [COUNT]]
"""
from ebpfpy import Const, PerCpuArray, bpf_function, bpf_program, helpers, i32, struct, u32, u64

MAX_SLOTS = 20
NR_SOFTIRQS = 10


@struct
class Hist:
    slots: u32[MAX_SLOTS]


targ_dist: Const[bool] = False
targ_ns: Const[bool] = False
targ_cpu: Const[i32] = -1

start = PerCpuArray(u64, max_entries=1)
counts: u64[NR_SOFTIRQS]
time: u64[NR_SOFTIRQS]
hists: Hist[NR_SOFTIRQS]


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
def handle_entry(vec_nr: u32) -> int:
    if targ_cpu >= 0 and i32(helpers.get_smp_processor_id()) != targ_cpu:
        return 0                        # is_target_cpu(), inline
    start[0] = helpers.ktime_get_ns()
    return 0


@bpf_function
def handle_exit(vec_nr: u32) -> int:
    if targ_cpu >= 0 and i32(helpers.get_smp_processor_id()) != targ_cpu:
        return 0                        # is_target_cpu(), inline
    if vec_nr >= NR_SOFTIRQS:
        return 0
    tsp = start.lookup(0)
    if tsp is None:
        return 0
    delta = helpers.ktime_get_ns() - tsp.value
    if not targ_ns:
        delta = delta // 1000
    if not targ_dist:
        helpers.atomic_add(counts[vec_nr], 1)
        helpers.atomic_add(time[vec_nr], delta)
    else:
        slot = log2l(delta)
        if slot >= MAX_SLOTS:
            slot = MAX_SLOTS - 1
        helpers.atomic_add(hists[vec_nr].slots[slot], 1)
    return 0


@bpf_program("tp_btf/softirq_entry")
def softirq_entry_btf(ctx) -> int:
    return handle_entry(u32(ctx.vec_nr))


@bpf_program("tp_btf/softirq_exit")
def softirq_exit_btf(ctx) -> int:
    return handle_exit(u32(ctx.vec_nr))


@bpf_program("raw_tp/softirq_entry")
def softirq_entry(ctx) -> int:
    return handle_entry(u32(ctx.args[0]))


@bpf_program("raw_tp/softirq_exit")
def softirq_exit(ctx) -> int:
    return handle_exit(u32(ctx.args[0]))


VEC_NAMES = ["hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched",
             "hrtimer", "rcu"]


def main(argv=None) -> None:
    import argparse
    import os
    import time as clock

    import ebpfpy
    from trace_helpers import Interrupted, print_log2_hist, strftime_now

    p = argparse.ArgumentParser(description="Summarize soft irq event time as histograms.")
    p.add_argument("-d", "--distributed", action="store_true", help="Show distributions as histograms")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-N", "--nanoseconds", action="store_true", help="Output in nanoseconds")
    p.add_argument("-C", "--count", action="store_true", help="Show event counts with timing")
    p.add_argument("-c", "--cpu", type=int, default=-1, help="Trace this cpu only")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    units = "nsecs" if args.nanoseconds else "usecs"

    obj = ebpfpy.open(__file__)
    obj.config.targ_dist = args.distributed
    obj.config.targ_ns = args.nanoseconds
    obj.config.targ_cpu = args.cpu
    with obj.load():
        btf = os.path.exists("/sys/kernel/btf/vmlinux")          # probe_tp_btf
        for name in (("softirq_entry_btf", "softirq_exit_btf") if btf
                     else ("softirq_entry", "softirq_exit")):
            obj.programs[name].attach()
        g = obj.globals
        stop = Interrupted()
        print("Tracing soft irq event time... Hit Ctrl-C to end.", flush=True)
        times = args.times
        seen_t, seen_c = [0] * NR_SOFTIRQS, [0] * NR_SOFTIRQS
        seen_h = [[0] * MAX_SLOTS for _ in range(NR_SOFTIRQS)]
        while True:
            end = clock.monotonic() + args.interval
            while not stop.exiting and clock.monotonic() < end:
                clock.sleep(min(0.1, max(end - clock.monotonic(), 0)))
            print()
            if args.timestamp:
                print(f"{strftime_now():<8}")
            if not args.distributed:
                print(f"{'SOFTIRQ':<16} {'TOTAL_':<6}{units:<5}  {'TOTAL_count' if args.count else '':<11}")
                # the original swaps each total for 0 (__atomic_exchange_n); here the totals
                # keep growing and each interval prints what they grew by: nothing is lost
                now_t, now_c = list(g.time), list(g.counts)
                for vec in range(NR_SOFTIRQS):
                    t, c = now_t[vec] - seen_t[vec], now_c[vec] - seen_c[vec]
                    if c > 0:
                        print(f"{VEC_NAMES[vec]:<16} {t:>11}" + (f"  {c:>11}" if args.count else ""))
                seen_t, seen_c = now_t, now_c
            else:
                now_h = [list(h.slots) for h in g.hists]
                for vec in range(NR_SOFTIRQS):
                    slots = [a - b for a, b in zip(now_h[vec], seen_h[vec])]
                    if not any(slots):
                        continue
                    print(f"softirq = {VEC_NAMES[vec]}")
                    print_log2_hist(slots, units)
                    print()
                seen_h = now_h
            print(end="", flush=True)
            times -= 1
            if stop.exiting or times == 0:
                break


if __name__ == "__main__":
    main()
