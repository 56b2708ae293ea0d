"""syscount: summarize syscall counts and latencies.

Port of bcc's libbpf-tools/syscount.bpf.c and syscount.c (github.com/iovisor/bcc).  The same
two tracepoints (``raw_syscalls/sys_enter``, ``raw_syscalls/sys_exit``), read-only filters
(``filter_pid``, ``filter_failed``, ``filter_errno``, ``filter_cg``, ``count_by_process``,
``measure_latency``), cgroup filter and output.  Syscall names come from the kernel headers'
``__NR_*`` table instead of the original's built-in list.  Left out: ``-l`` (list syscalls).

    sudo python examples/ports/syscount.py [-p PID] [-i INTERVAL] [-d DURATION] [-T TOP]
                                          [-x] [-e ERRNO] [-L] [-m] [-P] [-c CGROUP]
"""
from ebpfpy import CgroupArray, Const, HashMap, bpf_program, helpers, i32, i64, struct, u8, u32, u64

MAX_ENTRIES = 8192


@struct
class Data:
    count: u64
    total_ns: u64
    comm: u8[16]


filter_cg: Const[bool] = False
count_by_process: Const[bool] = False
measure_latency: Const[bool] = False
filter_failed: Const[bool] = False
filter_errno: Const[i32] = 0
filter_pid: Const[u32] = 0

cgroup_map = CgroupArray(1)
start = HashMap(u32, u64, max_entries=MAX_ENTRIES)
data = HashMap(u32, Data, max_entries=MAX_ENTRIES)


@bpf_program("tracepoint/raw_syscalls/sys_enter")
def sys_enter(ctx) -> int:
    id = helpers.get_current_pid_tgid()
    pid = u32(id >> 32)
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if filter_pid != 0 and pid != filter_pid:
        return 0
    start[u32(id)] = helpers.ktime_get_ns()
    return 0


@bpf_program("tracepoint/raw_syscalls/sys_exit")
def sys_exit(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    id = helpers.get_current_pid_tgid()
    pid = u32(id >> 32)
    if ctx.id == -1:
        return 0                                    # an interrupt
    if filter_pid != 0 and pid != filter_pid:
        return 0
    ret = i64(ctx.ret)
    if filter_failed and ret >= 0:
        return 0
    if filter_errno != 0 and ret != -filter_errno:
        return 0
    lat: u64 = 0
    if measure_latency:
        ts = start.lookup(u32(id))
        if ts is None:
            return 0
        lat = helpers.ktime_get_ns() - ts.value
    key = pid if count_by_process else u32(ctx.id)
    data.insert(key, Data())                        # bpf_map_lookup_or_try_init
    val = data.lookup(key)
    if val is not None:
        val.count += 1
        if count_by_process:
            task = helpers.get_current_task_btf()
            val.comm = task.group_leader.comm
        if measure_latency:
            val.total_ns += lat
    return 0


def main(argv=None) -> None:
    import time

    import ebpfpy
    from trace_helpers import Interrupted, base_parser, syscall_names, text

    p = base_parser("Summarize syscall counts and latencies.")
    p.add_argument("-p", "--pid", type=int, default=0, help="process ID to trace")
    p.add_argument("-i", "--interval", type=int, default=0, help="print summary at this interval")
    p.add_argument("-d", "--duration-s", dest="secs", type=int, default=0,
                   help="total duration of trace, seconds")
    p.add_argument("-T", "--top", type=int, default=10, help="print only the top syscalls")
    p.add_argument("-x", "--failures", action="store_true", help="trace only failed syscalls")
    p.add_argument("-e", "--errno", type=int, default=0, help="trace only syscalls that fail with this errno")
    p.add_argument("-L", "--latency", action="store_true", help="collect syscall latency")
    p.add_argument("-m", "--milliseconds", action="store_true", help="display latency in ms")
    p.add_argument("-P", "--process", action="store_true", help="count by process, not syscall")
    p.add_argument("-c", "--cgroup", help="trace process in cgroup path")
    args = p.parse_args(argv)

    obj = ebpfpy.open(__file__)
    obj.config.filter_pid = args.pid
    obj.config.filter_failed = args.failures
    obj.config.measure_latency = args.latency
    obj.config.count_by_process = args.process
    obj.config.filter_errno = args.errno
    obj.config.filter_cg = args.cgroup is not None
    names = syscall_names()

    def agg_col(key: int, v) -> str:
        if args.process:
            return f"{key:<6} {text(v.comm):<15}"
        return names.get(key, f"[unknown: {key}]")

    def print_vals() -> None:
        vals = [(k, v) for k, v in obj.maps.data.items()]
        for k, _ in vals:                      # read_vals() deletes what it read
            del obj.maps.data[k]
        if not vals:
            return
        vals.sort(key=lambda kv: -(kv[1].total_ns if args.latency else kv[1].count))
        print(time.strftime("[%H:%M:%S]"))
        colname = "PID    COMM" if args.process else "SYSCALL"
        if args.latency:
            div = 1000000.0 if args.milliseconds else 1000.0
            print(f"{colname:<22} {'COUNT':>8} {'TIME (ms)' if args.milliseconds else 'TIME (us)':>16}")
            for k, v in vals[:args.top]:
                print(f"{agg_col(k, v):<22} {v.count:>8} {v.total_ns / div:>16.3f}")
        else:
            print(f"{colname:<22} {'COUNT':>8}")
            for k, v in vals[:args.top]:
                print(f"{agg_col(k, v):<22} {v.count:>8}")
        print(flush=True)

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        obj.programs.sys_exit.attach()
        if args.latency:
            obj.programs.sys_enter.attach()
        stop = Interrupted()
        print(f"Tracing syscalls, printing top {args.top}... Ctrl+C to quit.", flush=True)
        seconds = 0
        end = time.monotonic() + args.duration if args.duration else None
        while not stop.exiting:
            time.sleep(args.interval or 1)
            if args.secs:
                seconds += args.interval or 1
                if seconds >= args.secs:
                    stop.exiting = True
            if end is not None and time.monotonic() >= end:
                stop.exiting = True
            if not stop.exiting and not args.interval:
                continue
            print_vals()


if __name__ == "__main__":
    main()
