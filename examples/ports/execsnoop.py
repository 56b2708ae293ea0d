"""execsnoop: trace exec() syscalls with their arguments.

Port of bcc's libbpf-tools/execsnoop.bpf.c, execsnoop.h and execsnoop.c
(github.com/iovisor/bcc): ``sys_enter_execve`` fills an event in a hash (insert-only, per
thread) with the pid, ppid, uid and up to ``max_args`` arguments read from user memory;
``sys_exit_execve`` adds the return value and command and sends it through a perf buffer
(failed execs only with ``-x``); read-only ``filter_cg``, ``ignore_failed``, ``targ_uid``,
``max_args``; the same columns and argument printing (``-q`` quotes, `` ...`` when more
arguments remain).  The arguments are packed back to back into ``args`` (each string read
into the slice ``args[off:off + ARGSIZE]`` at the running ``args_size``), and the record is
sent cut at ``BASE_EVENT_SIZE + args_size`` (``events.output(ctx, event, size)``), as in the
original.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/execsnoop.py [-T] [-t] [-x] [-u UID] [-q] [-n NAME] [-l LINE]
                                           [-U] [--max-args N] [-c CG]
"""
from ebpfpy import (CgroupArray, Const, HashMap, PerfEventArray, bpf_program, helpers, i32,
                    struct, u8, u32, u64)

ARGSIZE = 128
TASK_COMM_LEN = 16
TOTAL_MAX_ARGS = 60
DEFAULT_MAXARGS = 20
FULL_MAX_ARGS_ARR = TOTAL_MAX_ARGS * ARGSIZE
LAST_ARG = FULL_MAX_ARGS_ARR - ARGSIZE
BASE_EVENT_SIZE = 40                                # offsetof(struct event, args)
INVALID_UID = 0xFFFFFFFF


@struct
class Event:
    pid: i32
    ppid: i32
    uid: u32
    retval: i32
    args_count: i32
    args_size: u32
    comm: u8[TASK_COMM_LEN]
    args: u8[FULL_MAX_ARGS_ARR]


filter_cg: Const[bool] = False
ignore_failed: Const[bool] = True
targ_uid: Const[u32] = INVALID_UID
max_args: Const[i32] = DEFAULT_MAXARGS
empty_event: Event                                  # zeroes; too big for the stack

cgroup_map = CgroupArray(1)
execs = HashMap(i32, Event, max_entries=10240)
events = PerfEventArray(event=Event)


@bpf_program("tracepoint/syscalls/sys_enter_execve")
def tracepoint__syscalls__sys_enter_execve(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    uid = u32(helpers.get_current_uid_gid())
    if targ_uid != INVALID_UID and targ_uid != uid:
        return 0
    id = helpers.get_current_pid_tgid()
    pid = i32(u32(id))
    if not execs.insert(pid, empty_event):          # BPF_NOEXIST: already tracing this exec
        return 0
    event = execs.lookup(pid)
    if event is None:
        return 0
    event.pid = i32(id >> 32)
    event.uid = uid
    event.ppid = helpers.get_current_task_btf().real_parent.tgid
    ret = helpers.probe_read_user_str(event.args[0:ARGSIZE], ctx.filename)
    if ret < 0:
        return 0
    if ret <= ARGSIZE:
        event.args_size += u32(ret)
    else:
        event.args[0] = 0                           # an empty string
        event.args_size += 1
    event.args_count += 1
    argp = u64[1]()
    for i in range(1, min(TOTAL_MAX_ARGS, max_args)):
        if helpers.probe_read_user(argp, ctx.argv + u64(i) * 8) < 0:
            return 0
        off = event.args_size
        if off > LAST_ARG:
            return 0
        ret = helpers.probe_read_user_str(event.args[off:off + ARGSIZE], argp[0])
        if ret < 0:
            return 0
        event.args_count += 1
        event.args_size += u32(ret)
    # try to read one more argument to see whether there is one
    if helpers.probe_read_user(argp, ctx.argv + u64(max_args) * 8) < 0:
        return 0
    event.args_count += 1                           # (the C counts it even when NULL)
    return 0


@bpf_program("tracepoint/syscalls/sys_exit_execve")
def tracepoint__syscalls__sys_exit_execve(ctx) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    uid = u32(helpers.get_current_uid_gid())
    if targ_uid != INVALID_UID and targ_uid != uid:
        return 0
    pid = i32(u32(helpers.get_current_pid_tgid()))
    event = execs.lookup(pid)
    if event is None:
        return 0
    ret = i32(ctx.ret)
    if not (ignore_failed and ret < 0):
        event.retval = ret
        event.comm = helpers.get_current_comm()
        size = BASE_EVENT_SIZE + event.args_size    # EVENT_SIZE(event)
        if size <= BASE_EVENT_SIZE + FULL_MAX_ARGS_ARR:
            events.output(ctx, event, size)
    del execs[pid]
    return 0


def packed_args(e) -> bytes:
    """The packed arguments the record carries (it was cut after them)."""
    return bytes(e.args)[:e.args_size]


def print_args(e, quote: bool, max_n: int) -> str:
    """execsnoop.c's ``print_args`` over the packed arguments."""
    out = ['"'] if quote else []
    args, counter = packed_args(e), 0
    for c in args:
        if counter >= e.args_count:
            break
        if c == 0:
            counter += 1
            out.append('" ' + ('"' if counter < e.args_count else "") if quote else " ")
        elif quote:
            ch = chr(c)
            out.append({'"': '\\"', "\t": "\\t", "\n": "\\n"}.get(ch, ch))
        else:
            out.append(chr(c))
    if e.args_count == max_n + 1:
        out.append(" ...")
    return "".join(out)


def main(argv=None) -> int:
    import argparse
    import time

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Trace exec syscalls")
    p.add_argument("-T", "--time", action="store_true", help="include time column on output (HH:MM:SS)")
    p.add_argument("-t", "--timestamp", action="store_true", help="include timestamp on output")
    p.add_argument("-x", "--fails", action="store_true", help="include failed exec()s")
    p.add_argument("-u", "--uid", type=int, default=INVALID_UID, help="trace this UID only")
    p.add_argument("-q", "--quote", action="store_true", help='Add quotemarks (") around arguments')
    p.add_argument("-n", "--name", help="only print commands matching this name, any arg")
    p.add_argument("-l", "--line", help="only print commands where arg contains this line")
    p.add_argument("-U", "--print-uid", action="store_true", help="print UID column")
    p.add_argument("--max-args", type=int, default=DEFAULT_MAXARGS,
                   help="maximum number of arguments parsed and displayed, defaults to 20")
    p.add_argument("-c", "--cgroup", help="Trace process in cgroup path")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    if not 1 <= args.max_args <= TOTAL_MAX_ARGS:
        p.error(f"Invalid MAX_ARGS {args.max_args}, should be in [1, {TOTAL_MAX_ARGS}] range")

    obj = ebpfpy.open(__file__)
    obj.config.filter_cg = args.cgroup is not None
    obj.config.ignore_failed = not args.fails
    obj.config.targ_uid = args.uid
    obj.config.max_args = args.max_args
    start = time.monotonic()

    def handle(e) -> None:
        comm = text(e.comm)
        if args.name and args.name not in comm:
            return
        if args.line and args.line not in comm:
            return
        line = f"{strftime_now():<8} " if args.time else ""
        line += f"{time.monotonic() - start:<8.3f}" if args.timestamp else ""
        line += f"{e.uid:<6}" if args.print_uid else ""
        line += f"{comm:<16} {e.pid:<6} {e.ppid:<6} {e.retval:>3} "
        print(line + print_args(e, args.quote, args.max_args), flush=True)

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        obj.programs.tracepoint__syscalls__sys_enter_execve.attach()
        obj.programs.tracepoint__syscalls__sys_exit_execve.attach()
        obj.maps.events.resize(64)                  # PERF_BUFFER_PAGES
        head = f"{'TIME':<9}" if args.time else ""
        head += f"{'TIME(s)':<8} " if args.timestamp else ""
        head += f"{'UID':<6} " if args.print_uid else ""
        print(head + f"{'PCOMM':<16} {'PID':<6} {'PPID':<6} {'RET':>3} ARGS", flush=True)
        poll_events(obj.maps.events, handle, args.duration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
