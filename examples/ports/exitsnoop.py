"""exitsnoop: trace process termination (exit and fatal signals).

Port of bcc's libbpf-tools/exitsnoop.bpf.c and exitsnoop.c (github.com/iovisor/bcc).
Same tracepoint (``sched/sched_process_exit``), the same configuration (``target_pid``,
``trace_failed_only``, ``trace_by_process``, ``filter_cg`` as read-only ``Const`` globals set
before load), the same cgroup filter and perf buffer, and the same output columns.
Left out: nothing.

    sudo python examples/ports/exitsnoop.py [-t] [-x] [-p PID] [-T] [-c CGROUP]
"""
from ebpfpy import (CgroupArray, Const, PerfEventArray, bpf_program, helpers, i32, struct, u8,
                    u32, u64)


@struct
class Event:
    start_time: u64
    exit_time: u64
    pid: u32
    tid: u32
    ppid: u32
    sig: u32
    exit_code: i32
    comm: u8[16]


target_pid: Const[u32] = 0
trace_failed_only: Const[bool] = False
trace_by_process: Const[bool] = True
filter_cg: Const[bool] = False

cgroup_map = CgroupArray(1)
events = PerfEventArray(event=Event)


@bpf_program("tracepoint/sched/sched_process_exit")
def sched_process_exit(ctx) -> int:
    pid_tgid = helpers.get_current_pid_tgid()
    pid = u32(pid_tgid >> 32)
    tid = u32(pid_tgid)
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if target_pid != 0 and target_pid != pid:
        return 0
    if trace_by_process and pid != tid:
        return 0
    task = helpers.get_current_task_btf()
    exit_code = i32(task.exit_code)
    if trace_failed_only and exit_code == 0:
        return 0
    e = Event(start_time=task.start_time, exit_time=helpers.ktime_get_ns(), pid=pid, tid=tid,
              ppid=u32(task.real_parent.tgid))
    e.sig = u32(exit_code & 0xff)
    e.exit_code = exit_code >> 8
    e.comm = helpers.get_current_comm()
    events.output(ctx, e)
    return 0


def main(argv=None) -> None:
    import signal as pysignal

    import ebpfpy
    from trace_helpers import base_parser, poll_events, strftime_now, text

    p = base_parser("Trace process termination.")
    p.add_argument("-t", "--timestamp", action="store_true", help="include timestamp on output")
    p.add_argument("-x", "--failed", action="store_true", help="trace error exits only")
    p.add_argument("-p", "--pid", type=int, default=0, help="process ID to trace")
    p.add_argument("-T", "--threaded", action="store_true", help="trace by thread")
    p.add_argument("-c", "--cgroup", help="trace process in cgroup path")
    args = p.parse_args(argv)

    obj = ebpfpy.open(__file__)
    obj.config.target_pid = args.pid
    obj.config.trace_failed_only = args.failed
    obj.config.trace_by_process = not args.threaded
    obj.config.filter_cg = args.cgroup is not None

    def handle(e) -> None:
        line = f"{strftime_now():>8} " if args.timestamp else ""
        age = (e.exit_time - e.start_time) / 1e9
        line += f"{text(e.comm):<16} {e.pid:<7} {e.ppid:<7} {e.tid:<7} {age:<7.2f} "
        if not e.sig:
            line += "0" if not e.exit_code else f"code {e.exit_code}"
        else:
            sig, coredump = e.sig & 0x7F, e.sig & 0x80
            if sig:
                line += f"signal {sig} ({pysignal.strsignal(sig)})"
            if coredump:
                line += ", core dumped"
        print(line, flush=True)

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        obj.programs.sched_process_exit.attach()
        head = f"{'TIME(s)':<8} " if args.timestamp else ""
        print(head + f"{'PCOMM':<16} {'PID':<7} {'PPID':<7} {'TID':<7} {'AGE(s)':<7} EXIT_CODE",
              flush=True)
        poll_events(obj.maps.events, handle, args.duration)


if __name__ == "__main__":
    main()
