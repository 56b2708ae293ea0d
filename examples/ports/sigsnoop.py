"""sigsnoop: trace standard and real-time signals.

Port of bcc's libbpf-tools/sigsnoop.bpf.c and sigsnoop.c (github.com/iovisor/bcc): the
``signal/signal_generate`` tracepoint by default, the entry/exit tracepoints of kill, tkill
and tgkill with ``-k``; read-only ``filtered_pid``, ``target_signals`` (a bit mask) and
``failed_only``; a perf buffer; the same columns.
The target's command name comes from the ``bpf_task_from_pid`` kfunc under the original's
``bpf_ksym_exists`` guard (kernels before 6.2 lack the kfunc), "N/A" for a pid without a task
or a kernel without the kfunc, as in the original.

    sudo python examples/ports/sigsnoop.py [-x] [-k] [-n] [-p PID] [-s SIGNAL[,SIGNAL...]]
"""
from ebpfpy import (Const, HashMap, PerfEventArray, bpf_function, bpf_program, helpers, i32,
                    struct, u8, u32)


@struct
class Event:
    pid: u32
    tpid: u32
    sig: i32
    ret: i32
    comm: u8[16]
    tcomm: u8[16]


filtered_pid: Const[u32] = 0
target_signals: Const[u32] = 0
failed_only: Const[bool] = False

values = HashMap(u32, Event, max_entries=10240)
events = PerfEventArray(event=Event)


@bpf_function
def is_target_signal(sig: i32) -> bool:
    if target_signals == 0:
        return True
    return (target_signals & (u32(1) << u32(sig - 1))) != 0


@bpf_function
def get_tcomm(tpid: i32, e: Event) -> int:
    """The target's command name (bpf_task_from_pid), else "N/A"."""
    if helpers.ksym_exists("bpf_task_from_pid"):
        ttask = helpers.task_from_pid(tpid)
        if ttask is not None:
            e.tcomm = ttask.comm
            helpers.task_release(ttask)
            return 0
    e.tcomm[0] = ord("N")
    e.tcomm[1] = ord("/")
    e.tcomm[2] = ord("A")
    e.tcomm[3] = 0
    return 0


@bpf_function
def probe_entry(tpid: i32, sig: i32) -> int:
    if not is_target_signal(sig):
        return 0
    pid_tgid = helpers.get_current_pid_tgid()
    pid = u32(pid_tgid >> 32)
    if filtered_pid != 0 and pid != filtered_pid:
        return 0
    e = Event(pid=pid, tpid=u32(tpid), sig=sig)
    get_tcomm(tpid, e)
    e.comm = helpers.get_current_comm()
    values[u32(pid_tgid)] = e
    return 0


@bpf_function
def probe_exit(ret: i32, e: Event) -> bool:
    """The entry's record with the result in ``e``; False when there is none to send."""
    tid = u32(helpers.get_current_pid_tgid())
    v = values.lookup(tid)
    if v is None:
        return False
    found = not (failed_only and ret >= 0)
    if found:
        e.pid = v.pid
        e.tpid = v.tpid
        e.sig = v.sig
        e.ret = ret
        e.comm = v.comm
        e.tcomm = v.tcomm
    del values[tid]
    return found


@bpf_program("tracepoint/syscalls/sys_enter_kill")
def kill_entry(ctx) -> int:
    return probe_entry(i32(ctx.pid), i32(ctx.sig))


@bpf_program("tracepoint/syscalls/sys_exit_kill")
def kill_exit(ctx) -> int:
    e = Event()
    if probe_exit(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_tkill")
def tkill_entry(ctx) -> int:
    return probe_entry(i32(ctx.pid), i32(ctx.sig))


@bpf_program("tracepoint/syscalls/sys_exit_tkill")
def tkill_exit(ctx) -> int:
    e = Event()
    if probe_exit(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_tgkill")
def tgkill_entry(ctx) -> int:
    return probe_entry(i32(ctx.pid), i32(ctx.sig))


@bpf_program("tracepoint/syscalls/sys_exit_tgkill")
def tgkill_exit(ctx) -> int:
    e = Event()
    if probe_exit(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/signal/signal_generate")
def sig_trace(ctx) -> int:
    ret = i32(ctx.errno)
    sig = i32(ctx.sig)
    if failed_only and ret == 0:
        return 0
    if not is_target_signal(sig):
        return 0
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    if filtered_pid != 0 and pid != filtered_pid:
        return 0
    e = Event(pid=pid, tpid=u32(ctx.pid), sig=sig, ret=ret)
    get_tcomm(i32(ctx.pid), e)
    e.comm = helpers.get_current_comm()
    events.output(ctx, e)
    return 0


SIG_NAMES = ["N/A", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
             "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
             "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
             "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
             "SIGIO", "SIGPWR", "SIGSYS"] + [f"SIGNAL-{n}" for n in range(32, 65)]


def main(argv=None) -> None:
    import ebpfpy
    from trace_helpers import base_parser, poll_events, strftime_now, text

    p = base_parser("Trace standard and real-time signals.")
    p.add_argument("-x", "--failed", action="store_true", help="trace failed signals only")
    p.add_argument("-k", "--kill", action="store_true", help="trace signals issued by kill syscall only")
    p.add_argument("-p", "--pid", type=int, default=0, help="process ID to trace")
    p.add_argument("-s", "--signal", default="", help="signals to trace (comma-separated)")
    p.add_argument("-n", "--name", action="store_true", help="output signal name instead of signal number")
    args = p.parse_args(argv)

    mask = 0
    for s in filter(None, args.signal.split(",")):
        n = int(s) if s.isdigit() else SIG_NAMES.index(s if s.startswith("SIG") else "SIG" + s)
        mask |= 1 << (n - 1)
    obj = ebpfpy.open(__file__)
    obj.config.filtered_pid = args.pid
    obj.config.target_signals = mask
    obj.config.failed_only = args.failed

    def handle(e) -> None:
        sig = SIG_NAMES[e.sig] if args.name and e.sig < len(SIG_NAMES) else e.sig
        print(f"{strftime_now():<8} {e.pid:<7} {text(e.comm):<16} {sig:<12} {e.tpid:<7} "
              f"{text(e.tcomm):<16} {e.ret:<6}", flush=True)

    with obj.load():
        if args.kill:
            for name in ("kill", "tkill", "tgkill"):
                obj.programs[f"{name}_entry"].attach()
                obj.programs[f"{name}_exit"].attach()
        else:
            obj.programs.sig_trace.attach()
        print(f"{'TIME':<8} {'PID':<7} {'COMM':<16} {'SIG':<12} {'TPID':<7} {'TCOMM':<16} "
              f"{'RESULT':<6}", flush=True)
        poll_events(obj.maps.events, handle, args.duration, "lost {n} events on CPU #{cpu}")


if __name__ == "__main__":
    main()
