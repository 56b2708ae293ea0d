"""cpudist: summarize on-CPU (or, with -O, off-CPU) time per task as a histogram.

Port of bcc's libbpf-tools/cpudist.bpf.c and cpudist.c (github.com/iovisor/bcc): the BTF
tracepoint ``sched_switch`` times each task between switches (on-CPU: from being switched in
to being switched out while still runnable; off-CPU: the reverse), with read-only
``targ_tgid``, ``targ_per_process``, ``targ_per_thread``, ``targ_offcpu``, ``targ_ms`` and
``filter_cg``; a hash of ``struct hist`` printed with ``print_log2_hist``.
Left out: the ``raw_tp/sched_switch`` twin the original loads on kernels without BTF.

    sudo python examples/ports/cpudist.py [-O] [-T] [-m] [-P | -L] [-p PID] [-c CG] [INTERVAL [COUNT]]
"""
from ebpfpy import CgroupArray, Const, HashMap, bpf_function, bpf_program, helpers, i64, struct, u8, u32, u64

MAX_SLOTS = 36
TASK_RUNNING = 0


@struct
class Hist:
    slots: u32[MAX_SLOTS]
    comm: u8[16]


filter_cg: Const[bool] = False
targ_per_process: Const[bool] = False
targ_per_thread: Const[bool] = False
targ_offcpu: Const[bool] = False
targ_ms: Const[bool] = False
targ_tgid: Const[i64] = -1

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
def store_start(tgid: u32, pid: u32, ts: u64) -> int:
    if targ_tgid != -1 and targ_tgid != i64(tgid):
        return 0
    start[pid] = ts
    return 0


@bpf_function
def update_hist(comm: u8[16], tgid: u32, pid: u32, ts: u64) -> int:
    if targ_tgid != -1 and targ_tgid != i64(tgid):
        return 0
    tsp = start.lookup(pid)
    if tsp is None or ts < tsp.value:
        return 0
    id: u32 = 0xFFFFFFFF
    if targ_per_process:
        id = tgid
    elif targ_per_thread:
        id = pid
    if hists.insert(id, Hist()):
        fresh = hists.lookup(id)
        if fresh is not None:
            fresh.comm = comm
    h = hists.lookup(id)
    if h is None:
        return 0
    delta = ts - tsp.value
    delta = delta // 1000000 if targ_ms else delta // 1000
    slot = log2l(delta)
    if slot >= MAX_SLOTS:
        slot = MAX_SLOTS - 1
    h.slots[slot] += 1
    return 0


@bpf_program("tp_btf/sched_switch")
def sched_switch_btf(ctx) -> int:
    prev = ctx.prev
    nxt = ctx.next
    prev_tgid = u32(prev.tgid)
    prev_pid = u32(prev.pid)
    tgid = u32(nxt.tgid)
    pid = u32(nxt.pid)
    ts = helpers.ktime_get_ns()
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if targ_offcpu:
        store_start(prev_tgid, prev_pid, ts)
        comm = u8[16]()
        comm = nxt.comm
        update_hist(comm, tgid, pid, ts)
    else:
        if u32(prev.__state) == TASK_RUNNING:
            comm = u8[16]()
            comm = prev.comm
            update_hist(comm, prev_tgid, prev_pid, ts)
        store_start(tgid, pid, ts)
    return 0


def main(argv=None) -> None:
    import sys
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser, print_log2_hist, strftime_now, text

    p = base_parser("Summarize on-CPU time per task as a histogram.")
    p.add_argument("-O", "--offcpu", action="store_true", help="measure off-CPU time")
    p.add_argument("-T", "--timestamp", action="store_true", help="include timestamp on output")
    p.add_argument("-m", "--milliseconds", action="store_true", help="millisecond histogram")
    p.add_argument("-P", "--pids", action="store_true", help="print a histogram per process ID")
    p.add_argument("-L", "--tids", action="store_true", help="print a histogram per thread ID")
    p.add_argument("-p", "--pid", type=int, default=-1, help="trace this PID only")
    p.add_argument("-c", "--cgroup", help="trace process in cgroup path")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)

    obj = ebpfpy.open(__file__)
    obj.config.targ_per_process = args.pids
    obj.config.targ_per_thread = args.tids
    obj.config.targ_offcpu = args.offcpu
    obj.config.targ_ms = args.milliseconds
    obj.config.targ_tgid = args.pid
    obj.config.filter_cg = args.cgroup is not None
    units = "msecs" if args.milliseconds else "usecs"

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        obj.programs.sched_switch_btf.attach()
        print(f"Tracing {'off' if args.offcpu else 'on'}-CPU time... Hit Ctrl-C to end.",
              flush=True)
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
                print_log2_hist(list(h.slots), units)
            for k, _ in items:
                del obj.maps.hists[k]
            times -= 1
            if stop.exiting or times == 0:
                break
        sys.stdout.flush()


if __name__ == "__main__":
    main()
