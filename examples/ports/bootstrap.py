"""bootstrap: trace process starts and exits, with file name, lifetime, PID, PPID and exit code.

Port of libbpf-bootstrap's examples/c/bootstrap.bpf.c, bootstrap.h and bootstrap.c
(github.com/libbpf/libbpf-bootstrap): ``sched_process_exec`` stamps the exec time per
process and (unless ``-d``) sends an EXEC event with the file name, read from the
tracepoint's ``__data_loc`` string (``ctx.filename`` is its address); ``sched_process_exit``
sends an EXIT event with the lifetime and exit code for processes (not threads) that lived
at least ``min_duration_ns``; ``task.real_parent.tgid`` through CO-RE, a ring buffer, the
same columns.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/bootstrap.py [-d MIN_DURATION_MS]
"""
from ebpfpy import Const, HashMap, RingBuf, bpf_program, helpers, i32, struct, u8, u32, u64

TASK_COMM_LEN = 16
MAX_FILENAME_LEN = 127


@struct
class Event:
    pid: i32
    ppid: i32
    exit_code: u32
    duration_ns: u64
    comm: u8[TASK_COMM_LEN]
    filename: u8[MAX_FILENAME_LEN]
    exit_event: bool


min_duration_ns: Const[u64] = 0

exec_start = HashMap(i32, u64, max_entries=8192)
rb = RingBuf(256 * 1024, event=Event)


@bpf_program("tracepoint/sched/sched_process_exec")
def handle_exec(ctx) -> int:
    # remember when this process exec()ed
    pid = i32(helpers.get_current_pid_tgid() >> 32)
    exec_start[pid] = helpers.ktime_get_ns()
    if min_duration_ns != 0:
        return 0                        # no exec events when a minimum duration is given
    e = rb.reserve()
    if e is None:
        return 0
    task = helpers.get_current_task_btf()
    e.exit_event = False
    e.pid = pid
    e.ppid = task.real_parent.tgid
    e.comm = helpers.get_current_comm()
    helpers.probe_read_kernel_str(e.filename, ctx.filename)
    rb.submit(e)
    return 0


@bpf_program("tracepoint/sched/sched_process_exit")
def handle_exit(ctx) -> int:
    id = helpers.get_current_pid_tgid()
    pid = i32(id >> 32)
    tid = i32(u32(id))
    if pid != tid:
        return 0                        # a thread, not the process
    duration_ns: u64 = 0
    start_ts = exec_start.lookup(pid)
    if start_ts is not None:
        duration_ns = helpers.ktime_get_ns() - start_ts.value
    elif min_duration_ns != 0:
        return 0
    del exec_start[pid]
    if min_duration_ns != 0 and duration_ns < min_duration_ns:
        return 0                        # did not live long enough
    e = rb.reserve()
    if e is None:
        return 0
    task = helpers.get_current_task_btf()
    e.exit_event = True
    e.duration_ns = duration_ns
    e.pid = pid
    e.ppid = task.real_parent.tgid
    e.exit_code = (u32(task.exit_code) >> 8) & 0xFF
    e.comm = helpers.get_current_comm()
    rb.submit(e)
    return 0


def main(argv=None) -> None:
    import argparse
    import sys

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="BPF bootstrap demo application.\n\nIt traces "
                                "process start and exits and shows associated information "
                                "(filename, process duration, PID and PPID, etc).")
    p.add_argument("-d", "--duration", dest="min_ms", type=int, default=0,
                   help="Minimum process duration (ms) to report")
    p.add_argument("--run-for", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    if args.min_ms < 0:
        p.error("the minimum duration is a positive number of ms")

    obj = ebpfpy.open(__file__)
    obj.config.min_duration_ns = args.min_ms * 1000000

    def handle(e) -> None:
        if e.exit_event:
            line = f"{strftime_now():<8} {'EXIT':<5} {text(e.comm):<16} {e.pid:<7} {e.ppid:<7} [{e.exit_code}]"
            if e.duration_ns:
                line += f" ({e.duration_ns // 1000000}ms)"
        else:
            line = f"{strftime_now():<8} {'EXEC':<5} {text(e.comm):<16} {e.pid:<7} {e.ppid:<7} {text(e.filename)}"
        print(line, flush=True)

    with obj.load():
        obj.programs.handle_exec.attach()
        obj.programs.handle_exit.attach()
        print(f"{'TIME':<8} {'EVENT':<5} {'COMM':<16} {'PID':<7} {'PPID':<7} FILENAME/EXIT CODE",
              flush=True)
        poll_events(obj.maps.rb, handle, args.run_for)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
