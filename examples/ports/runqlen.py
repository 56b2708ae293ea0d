"""runqlen: sample the CPUs' run queue length and show it as a linear histogram.

Port of bcc's libbpf-tools/runqlen.bpf.c, runqlen.h and runqlen.c (github.com/iovisor/bcc): a
``perf_event`` program (a cpu-clock event per CPU at ``-f`` Hz) reads the current task's
``se.cfs_rq`` queue length (``-H``: the whole ``rq``'s ``nr_running``), minus the running
task, into the global ``hists[cpu]`` (``-C``: one per CPU; else one, with atomic adds);
userspace prints the linear histogram (or ``-O``, the run queue occupancy) each interval.
The queue length is ``cfs_rq.nr_running``, or ``nr_queued`` from 6.14 on, through a CO-RE
flavour (``@kernel_struct cfs_rq___pre_v614``), as core_fixes.bpf.h reads it.  Differences:
each interval prints what the histogram grew by, where the original zeroes it.
Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/runqlen.py [-C] [-O] [-T] [-H] [-f FREQ] [INTERVAL [COUNT]]
"""
from ebpfpy import Const, bpf_function, bpf_program, helpers, kernel_struct, struct, u32, u64
from ebpfpy.kernel import cfs_rq, task_struct

MAX_CPU_NR = 128
MAX_SLOTS = 32


@struct
class Hist:
    slots: u32[MAX_SLOTS]


targ_per_cpu: Const[bool] = False
targ_host: Const[bool] = False

hists: Hist[MAX_CPU_NR]


@kernel_struct
class cfs_rq___pre_v614:
    nr_running: u32                     # renamed nr_queued in 6.14 (commit 736c55a02c47)


@bpf_function
def cfs_rq_get_nr_running_or_nr_queued(rq: u64) -> u64:
    """core_fixes.bpf.h's helper of the same name (``rq``: the cfs_rq's address)."""
    old = cfs_rq___pre_v614(rq)
    if helpers.field_exists(old.nr_running):
        return u64(old.nr_running)
    else:
        return u64(cfs_rq(rq).nr_queued)


@bpf_program("perf_event")
def do_sample(ctx) -> int:
    task = task_struct(helpers.get_current_task())
    slot: u64 = 0
    if targ_host:
        slot = u64(task.se.cfs_rq.rq.nr_running)
    else:
        slot = cfs_rq_get_nr_running_or_nr_queued(u64(task.se.cfs_rq))
    # the running task is not waiting: 0 is idle, 1 one running task
    if slot > 0:
        slot -= 1
    cpu: u64 = 0
    if targ_per_cpu:
        cpu = u64(helpers.get_smp_processor_id())
        if cpu >= MAX_CPU_NR:
            return 0
    if slot >= MAX_SLOTS:
        slot = MAX_SLOTS - 1
    if targ_per_cpu:
        hists[cpu].slots[slot] += 1                 # per CPU: no other writer
    else:
        helpers.atomic_add(hists[cpu].slots[slot], 1)
    return 0


def main(argv=None) -> int:
    import argparse
    import os
    import sys
    import time

    import ebpfpy
    from profile_sampler import perf_event_open
    from trace_helpers import Interrupted, print_linear_hist, strftime_now

    p = argparse.ArgumentParser(description="Summarize scheduler run queue length as a histogram.")
    p.add_argument("-C", "--cpus", action="store_true", help="Print output for each CPU separately")
    p.add_argument("-f", "--frequency", type=int, default=99, help="Sample with a certain frequency")
    p.add_argument("-O", "--runqocc", action="store_true", help="Report run queue occupancy")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-H", "--host", action="store_true", help="Report nr_running from host's rq")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    nr_cpus = os.cpu_count() or 1
    if nr_cpus > MAX_CPU_NR:
        print(f"the number of cpu cores is too big, please increase MAX_CPU_NR's value and "
              "recompile", file=sys.stderr)
        return 1

    obj = ebpfpy.open(__file__)
    obj.config.targ_per_cpu = args.cpus
    obj.config.targ_host = args.host
    with obj.load():
        links = []
        try:
            for cpu in range(nr_cpus):
                fd = perf_event_open(True, args.frequency, cpu)
                if fd < 0:
                    if -fd == 19:           # ENODEV: an offline CPU
                        continue
                    print(f"failed to init perf sampling: {os.strerror(-fd)}", file=sys.stderr)
                    return 1
                links.append(obj.programs.do_sample.attach(pfd=fd))
            print("Sampling run queue length... Hit Ctrl-C to end.", flush=True)
            stop = Interrupted()
            seen = [[0] * MAX_SLOTS for _ in range(nr_cpus)]
            times = args.times
            while True:
                end = time.monotonic() + args.interval
                while not stop.exiting and time.monotonic() < end:
                    time.sleep(min(0.1, max(end - time.monotonic(), 0)))
                print()
                if args.timestamp:
                    print(f"{strftime_now():<8}")
                now = [list(h.slots) for h in obj.globals.hists[:nr_cpus]]
                for i in range(nr_cpus if args.cpus else 1):
                    slots = [a - b for a, b in zip(now[i], seen[i])]
                    if args.runqocc:
                        samples = sum(slots)
                        occ = 100 * (samples - slots[0]) / max(1, samples)
                        print(f"runqocc, CPU {i:<3} {occ:6.2f}%" if args.cpus
                              else f"runqocc: {occ:0.2f}%")
                    else:
                        if args.cpus:
                            print(f"cpu = {i}")
                        print_linear_hist(slots, 0, 1, "runqlen")
                seen = now
                sys.stdout.flush()
                times -= 1
                if stop.exiting or times == 0:
                    break
        finally:
            for link in links:
                link.detach()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
