"""statsnoop: trace the stat family of syscalls.

Port of bcc's libbpf-tools/statsnoop.bpf.c and statsnoop.c (github.com/iovisor/bcc): the
entry/exit tracepoints of statfs, newstat, statx, newfstat, newfstatat and newlstat, the
read-only filters ``target_pid`` and ``trace_failed_only``, the perf buffer, and the output
(a relative path printed after the directory its fd or the cwd names, from ``/proc``).
Left out: nothing.

    sudo python examples/ports/statsnoop.py [-t] [-x] [-p PID] [-s]
"""
from ebpfpy import (Const, HashMap, PerfEventArray, bpf_function, bpf_program, helpers, i32,
                    struct, u8, u32, u64)

NAME_MAX = 255
INVALID_FD = -1
SYS_STATFS = 1              # enum sys_type
SYS_NEWSTAT = 2
SYS_STATX = 3
SYS_NEWFSTAT = 4
SYS_NEWFSTATAT = 5
SYS_NEWLSTAT = 6


@struct
class Event:
    ts_ns: u64
    pid: u32
    type: u32
    ret: i32
    comm: u8[16]
    fd: i32
    dirfd: i32
    pathname: u8[NAME_MAX]


@struct
class Value:
    fd: i32
    dirfd: i32
    pathname: u64
    type: u32


target_pid: Const[u32] = 0
trace_failed_only: Const[bool] = False

values = HashMap(u32, Value, max_entries=10240)
events = PerfEventArray(event=Event)


@bpf_function
def probe_entry(type: u32, fd: i32, dirfd: i32, pathname: u64) -> int:
    id = helpers.get_current_pid_tgid()
    if pathname == 0 and fd == INVALID_FD and dirfd == INVALID_FD:
        return 0
    if target_pid != 0 and target_pid != u32(id >> 32):
        return 0
    values[u32(id)] = Value(fd=fd, dirfd=dirfd, pathname=pathname, type=type)
    return 0


@bpf_function
def probe_return(ret: i32, e: Event) -> bool:
    """Fill ``e`` from the entry's values; False when there is nothing to report."""
    id = helpers.get_current_pid_tgid()
    tid = u32(id)
    v = values.lookup(tid)
    if v is None:
        return False
    if trace_failed_only and ret >= 0:
        del values[tid]
        return False
    e.pid = u32(id >> 32)
    e.ts_ns = helpers.ktime_get_ns()
    e.ret = ret
    e.type = v.type
    e.comm = helpers.get_current_comm()
    e.fd = v.fd
    e.dirfd = v.dirfd
    if v.pathname != 0:
        helpers.probe_read_user_str(e.pathname, v.pathname)
    del values[tid]
    return True


@bpf_program("tracepoint/syscalls/sys_enter_statfs")
def handle_statfs_entry(ctx) -> int:
    return probe_entry(SYS_STATFS, INVALID_FD, INVALID_FD, ctx.pathname)


@bpf_program("tracepoint/syscalls/sys_exit_statfs")
def handle_statfs_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_newstat")
def handle_newstat_entry(ctx) -> int:
    return probe_entry(SYS_NEWSTAT, INVALID_FD, INVALID_FD, ctx.filename)


@bpf_program("tracepoint/syscalls/sys_exit_newstat")
def handle_newstat_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_statx")
def handle_statx_entry(ctx) -> int:
    return probe_entry(SYS_STATX, INVALID_FD, i32(ctx.dfd), ctx.filename)


@bpf_program("tracepoint/syscalls/sys_exit_statx")
def handle_statx_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_newfstat")
def handle_newfstat_entry(ctx) -> int:
    return probe_entry(SYS_NEWFSTAT, i32(ctx.fd), INVALID_FD, 0)


@bpf_program("tracepoint/syscalls/sys_exit_newfstat")
def handle_newfstat_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_newfstatat")
def handle_newfstatat_entry(ctx) -> int:
    return probe_entry(SYS_NEWFSTATAT, INVALID_FD, i32(ctx.dfd), ctx.filename)


@bpf_program("tracepoint/syscalls/sys_exit_newfstatat")
def handle_newfstatat_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_newlstat")
def handle_newlstat_entry(ctx) -> int:
    return probe_entry(SYS_NEWLSTAT, INVALID_FD, INVALID_FD, ctx.filename)


@bpf_program("tracepoint/syscalls/sys_exit_newlstat")
def handle_newlstat_return(ctx) -> int:
    e = Event()
    if probe_return(i32(ctx.ret), e):
        events.output(ctx, e)
    return 0


SYS_NAMES = ["N/A", "statfs", "newstat", "statx", "newfstat", "newfstatat", "newlstat"]
AT_FDCWD = -100


def proc_fd_pathname(pid: int, fd: int, is_dir: bool) -> str:
    """The path an fd (or AT_FDCWD: the cwd) of ``pid`` names, ``""`` when gone."""
    import os
    if fd == INVALID_FD:
        return ""
    link = f"/proc/{pid}/cwd" if fd == AT_FDCWD else f"/proc/{pid}/fd/{fd}"
    try:
        path = os.readlink(link)
    except OSError:
        return ""
    return path + "/" if is_dir else path


def main(argv=None) -> None:
    import ebpfpy
    from trace_helpers import base_parser, poll_events, text

    p = base_parser("Trace stat syscalls.")
    p.add_argument("-p", "--pid", type=int, default=0, help="process ID to trace")
    p.add_argument("-t", "--timestamp", action="store_true", help="include timestamp on output")
    p.add_argument("-x", "--failed", action="store_true", help="only show failed stats")
    p.add_argument("-s", "--sys-name", action="store_true", help="include syscall name on output")
    args = p.parse_args(argv)

    obj = ebpfpy.open(__file__)
    obj.config.target_pid = args.pid
    obj.config.trace_failed_only = args.failed
    start = [0]

    def handle(e) -> None:
        fd, err = (e.ret, 0) if e.ret >= 0 else (-1, -e.ret)
        if not start[0]:
            start[0] = e.ts_ns
        line = f"{(e.ts_ns - start[0]) / 1e9:<14.9f} " if args.timestamp else ""
        line += f"{e.pid:<7} {text(e.comm):<20} {fd:<4} {err:<4}"
        if args.sys_name:
            line += f" {SYS_NAMES[e.type]:<10}"
        path = text(e.pathname)
        rel = not path.startswith("/")
        line += " " + (proc_fd_pathname(e.pid, e.fd, False) if rel else "") \
            + (proc_fd_pathname(e.pid, e.dirfd, True) if rel else "") + path
        print(line, flush=True)

    with obj.load():
        for name in obj.programs:
            obj.programs[name].attach()
        head = f"{'TIME(s)':<14} " if args.timestamp else ""
        head += f"{'PID':<7} {'COMM':<20} {'RET':<4} {'ERR':<4}"
        if args.sys_name:
            head += f" {'SYSCALL':<10}"
        print(head + " PATH", flush=True)
        poll_events(obj.maps.events, handle, args.duration)


if __name__ == "__main__":
    main()
