"""runqlat: summarize run queue (scheduler) latency as a histogram.

Port of bcc's libbpf-tools/runqlat.bpf.c and runqlat.c (github.com/iovisor/bcc): the BTF
tracepoints ``sched_wakeup``, ``sched_wakeup_new`` and ``sched_switch`` (a task put back on
the run queue while still running counts from the switch), read-only ``targ_tgid``,
``targ_per_process``, ``targ_per_thread``, ``targ_per_pidns``, ``targ_ms`` and
``filter_cg``, a hash of ``struct hist`` (26 log2 slots and a comm) and the same output
(``print_log2_hist``).  ``--pidnss`` keys by the task's PID namespace as the original's
``pid_namespace()`` finds it: ``pid->numbers[pid->level].ns``, an item of the kernel's
flexible array ``struct upid numbers[]`` (docs/kernel.md).  Left out: the ``raw_tp`` twins
the original loads on kernels without BTF.

    sudo python examples/ports/runqlat.py [-T] [-m] [-P | -L | -n] [-p PID] [-c CG] [INTERVAL [COUNT]]
"""
from ebpfpy import CgroupArray, Const, HashMap, bpf_function, bpf_program, helpers, struct, u8, u32, u64
from ebpfpy.kernel import task_struct

MAX_SLOTS = 26
TASK_RUNNING = 0


@struct
class Hist:
    slots: u32[MAX_SLOTS]
    comm: u8[16]


filter_cg: Const[bool] = False
targ_per_process: Const[bool] = False
targ_per_thread: Const[bool] = False
targ_per_pidns: Const[bool] = False
targ_ms: Const[bool] = False
targ_tgid: Const[u32] = 0

cgroup_map = CgroupArray(1)
start = HashMap(u32, u64, max_entries=10240)
hists = HashMap(u32, Hist, max_entries=10240)


@bpf_function
def log2l(v: u64) -> u64:
    """The index of the highest set bit (libbpf-tools' bits.bpf.h ``log2l``; 0 for 0)."""
    r: u64 = 0
    for _ in range(64):
        if v <= 1:
            break
        v = v >> 1
        r += 1
    return r


@bpf_function
def pid_namespace(task: task_struct) -> u32:
    """The inode number of the task's PID namespace: task_active_pid_ns(), i.e.
    pid->numbers[pid->level].ns."""
    pid = task.thread_pid
    level = pid.level
    return pid.numbers[level].ns.ns.inum


@bpf_function
def trace_enqueue(tgid: u32, pid: u32) -> int:
    if pid == 0:
        return 0
    if targ_tgid != 0 and targ_tgid != tgid:
        return 0
    start[pid] = helpers.ktime_get_ns()
    return 0


@bpf_program("tp_btf/sched_wakeup")
def sched_wakeup(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    return trace_enqueue(u32(ctx.p.tgid), u32(ctx.p.pid))


@bpf_program("tp_btf/sched_wakeup_new")
def sched_wakeup_new(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    return trace_enqueue(u32(ctx.p.tgid), u32(ctx.p.pid))


@bpf_program("tp_btf/sched_switch")
def sched_switch(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    prev = ctx.prev
    nxt = ctx.next
    if u32(prev.__state) == TASK_RUNNING:
        trace_enqueue(u32(prev.tgid), u32(prev.pid))
    pid = u32(nxt.pid)
    tsp = start.lookup(pid)
    if tsp is None:
        return 0
    now = helpers.ktime_get_ns()
    if now >= tsp.value:
        delta = now - tsp.value
        hkey: u32 = 0xFFFFFFFF
        if targ_per_process:
            hkey = u32(nxt.tgid)
        elif targ_per_thread:
            hkey = pid
        elif targ_per_pidns:
            hkey = pid_namespace(nxt)
        hists.insert(hkey, Hist())                   # bpf_map_lookup_or_try_init
        h = hists.lookup(hkey)
        if h is not None:
            if h.comm[0] == 0:
                h.comm = nxt.comm
            delta = delta // 1000000 if targ_ms else delta // 1000
            slot = log2l(delta)
            if slot >= MAX_SLOTS:
                slot = MAX_SLOTS - 1
            h.slots[slot] += 1
    del start[pid]
    return 0


def main(argv=None) -> None:
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser, print_log2_hist, strftime_now, text

    p = base_parser("Summarize run queue (scheduler) latency as a histogram.")
    p.add_argument("-T", "--timestamp", action="store_true", help="include timestamp on output")
    p.add_argument("-m", "--milliseconds", action="store_true", help="millisecond histogram")
    p.add_argument("-P", "--pids", action="store_true", help="print a histogram per process ID")
    p.add_argument("-L", "--tids", action="store_true", help="print a histogram per thread ID")
    p.add_argument("-n", "--pidnss", action="store_true",
                   help="print a histogram per PID namespace")
    p.add_argument("-p", "--pid", type=int, default=0, help="trace this PID only")
    p.add_argument("-c", "--cgroup", help="trace process in cgroup path")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    if args.pids + args.tids + args.pidnss > 1:
        p.error("pidnss, pids, tids cann't be used together.")

    obj = ebpfpy.open(__file__)
    obj.config.targ_per_process = args.pids
    obj.config.targ_per_thread = args.tids
    obj.config.targ_per_pidns = args.pidnss
    obj.config.targ_ms = args.milliseconds
    obj.config.targ_tgid = args.pid
    obj.config.filter_cg = args.cgroup is not None
    units = "msecs" if args.milliseconds else "usecs"

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        for name in ("sched_wakeup", "sched_wakeup_new", "sched_switch"):
            obj.programs[name].attach()
        print("Tracing run queue latency... Hit Ctrl-C to end.", flush=True)
        stop = Interrupted()
        times = args.times
        while True:
            end = time.monotonic() + args.interval
            while not stop.exiting and time.monotonic() < end:
                time.sleep(min(0.1, max(0.0, end - time.monotonic())))
            print()
            if args.timestamp:
                print(f"{strftime_now():<8}")
            items = list(obj.maps.hists.items())
            for k, h in items:
                if args.pids:
                    print(f"\npid = {k} {text(h.comm)}")
                elif args.tids:
                    print(f"\ntid = {k} {text(h.comm)}")
                elif args.pidnss:
                    print(f"\npidns = {k} {text(h.comm)}")
                print_log2_hist(list(h.slots), units)
            for k, _ in items:
                del obj.maps.hists[k]
            times -= 1
            if stop.exiting or times == 0:
                break
        import sys
        sys.stdout.flush()


if __name__ == "__main__":
    main()
