"""opensnoop: trace open family syscalls.

Port of bcc's libbpf-tools/opensnoop.bpf.c and opensnoop.c (github.com/iovisor/bcc): the
entry/exit tracepoints of open, openat and openat2 (``struct open_how`` read from user
memory), the read-only filters ``targ_tgid``, ``targ_pid``, ``targ_uid``, ``targ_failed``, the
callers from ``bpf_get_stack`` (``-c``, named with ebpfpy.symbols instead of blazesym), a ring
buffer, and the same columns. ``-F`` (full path of a relative name): as the original's
``bpf_getcwd`` (path_helpers.bpf.h), the program walks the cwd's dentries from
``task->fs->pwd`` up ``d_parent`` (crossing mounts through ``struct mount``), each component's
``d_name.name`` read into its own ``NAME_MAX`` slot of the record; userspace joins the slots
in reverse as ``print_full_path`` does.
Left out: nothing.

    sudo python examples/ports/opensnoop.py [-T] [-U] [-x] [-p PID] [-t TID] [-u UID]
                                           [-d DURATION] [-n NAME] [-e] [-c] [-F]
"""
from ebpfpy import (BPF_F_USER_STACK, Const, HashMap, RingBuf, bpf_function, bpf_program,
                    helpers, i32, struct, u8, u32, u64)
from ebpfpy.kernel import dentry, mount

NAME_MAX = 255
MAX_PATH_DEPTH = 32
INVALID_UID = 0xFFFFFFFF
O_CREAT = 0o100
O_TMPFILE = 0o20200000


@struct
class Args:
    fname: u64
    flags: i32
    mode: u32


@struct
class Event:
    ts: u64
    pid: u32
    uid: u32
    ret: i32
    flags: i32
    mode: u32
    callers: u64[2]
    comm: u8[16]
    # struct full_path: slot 0 the name as opened, slots 1.. the cwd's components leaf first
    fname: u8[NAME_MAX * MAX_PATH_DEPTH]
    depth: u32
    failed: i32


@struct
class OpenHow:
    flags: u64
    mode: u64
    resolve: u64


targ_pid: Const[u32] = 0
targ_tgid: Const[u32] = 0
targ_uid: Const[u32] = INVALID_UID
targ_failed: Const[bool] = False
full_path: Const[bool] = False

start = HashMap(u32, Args, max_entries=10240)
events = RingBuf(1 << 20, event=Event)


@bpf_function
def trace_allowed(tgid: u32, pid: u32) -> bool:
    if targ_tgid != 0 and targ_tgid != tgid:
        return False
    if targ_pid != 0 and targ_pid != pid:
        return False
    if targ_uid != INVALID_UID and targ_uid != u32(helpers.get_current_uid_gid()):
        return False
    return True


@bpf_function
def remember(fname: u64, flags: i32, mode: u32) -> int:
    id = helpers.get_current_pid_tgid()
    if trace_allowed(u32(id >> 32), u32(id)):
        start[u32(id)] = Args(fname=fname, flags=flags, mode=mode)
    return 0


@bpf_function
def trace_exit(ret: i32, stack: u64[3]) -> int:
    pid = u32(helpers.get_current_pid_tgid())
    ap = start.lookup(pid)
    if ap is None:
        return 0                                    # missed entry
    if targ_failed and ret >= 0:
        del start[pid]                              # want failed only
        return 0
    e = events.reserve()                            # 8 KiB: in the ring, not on the stack
    if e is None:
        del start[pid]
        return 0
    e.ts = 0
    e.pid = u32(helpers.get_current_pid_tgid() >> 32)
    e.uid = u32(helpers.get_current_uid_gid())
    e.comm = helpers.get_current_comm()
    helpers.probe_read_user_str(e.fname, ap.fname)
    e.depth = 0
    e.failed = 0
    e.flags = ap.flags
    e.mode = 0
    if (ap.flags & O_CREAT) != 0 or (ap.flags & O_TMPFILE) == O_TMPFILE:
        e.mode = ap.mode
    e.ret = ret
    e.callers[0] = stack[1]                         # stack[0] is usually the syscall itself
    e.callers[1] = stack[2]
    if full_path and e.fname[0] != ord("/"):
        # bpf_getcwd: from the cwd up to the root, one component per slot; at a mount's
        # root go on from its mountpoint in the parent mount
        task = helpers.get_current_task_btf()
        d = dentry(u64(task.fs.pwd.dentry))
        vfsmnt = u64(task.fs.pwd.mnt)
        # container_of(vfsmnt, struct mount, mnt): the CO-RE offset of mnt in struct mount
        mnt = mount(vfsmnt - helpers.field_offset(mount(vfsmnt).mnt))
        mnt_root = u64(mnt.mnt.mnt_root)
        for i in range(MAX_PATH_DEPTH - 1):
            off = (i + 1) * NAME_MAX
            if helpers.probe_read_kernel_str(e.fname[off:off + NAME_MAX], d.d_name.name) < 0:
                e.failed = 1
                break
            parent = d.d_parent
            if u64(d) == u64(parent) or u64(d) == mnt_root:
                mnt_parent = mnt.mnt_parent
                if u64(mnt) == u64(mnt_parent):
                    break                               # the real root directory
                d = dentry(u64(mnt.mnt_mountpoint))
                mnt = mount(u64(mnt_parent))
                mnt_root = u64(mnt.mnt.mnt_root)
                e.depth += 1
                continue
            d = dentry(u64(parent))
            e.depth += 1
    events.submit(e)
    del start[pid]
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_open")
def tracepoint__syscalls__sys_enter_open(ctx) -> int:
    return remember(ctx.filename, i32(ctx.flags), u32(ctx.mode))


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def tracepoint__syscalls__sys_enter_openat(ctx) -> int:
    return remember(ctx.filename, i32(ctx.flags), u32(ctx.mode))


@bpf_program("tracepoint/syscalls/sys_enter_openat2")
def tracepoint__syscalls__sys_enter_openat2(ctx) -> int:
    how = OpenHow()
    helpers.probe_read_user(how, ctx.how)
    return remember(ctx.filename, i32(how.flags), u32(how.mode))


@bpf_program("tracepoint/syscalls/sys_exit_open")
def tracepoint__syscalls__sys_exit_open(ctx) -> int:
    stack = u64[3]()
    helpers.get_stack(ctx, stack, BPF_F_USER_STACK)
    return trace_exit(i32(ctx.ret), stack)


@bpf_program("tracepoint/syscalls/sys_exit_openat")
def tracepoint__syscalls__sys_exit_openat(ctx) -> int:
    stack = u64[3]()
    helpers.get_stack(ctx, stack, BPF_F_USER_STACK)
    return trace_exit(i32(ctx.ret), stack)


@bpf_program("tracepoint/syscalls/sys_exit_openat2")
def tracepoint__syscalls__sys_exit_openat2(ctx) -> int:
    stack = u64[3]()
    helpers.get_stack(ctx, stack, BPF_F_USER_STACK)
    return trace_exit(i32(ctx.ret), stack)


def joined_path(e) -> str:
    """print_full_path: the slots from the top directory down to the name, '/'-separated."""
    from trace_helpers import text
    raw = bytes(e.fname)
    out = ""
    for depth in range(e.depth, -1, -1):
        name = text(raw[depth * NAME_MAX:(depth + 1) * NAME_MAX])
        if name == "/":
            continue                                # a mount's root: its '/' comes from here
        top = (e.failed or e.depth == MAX_PATH_DEPTH - 1) and depth == e.depth
        out += ("" if name.startswith("/") or top else "/") + name
    return out


def main(argv=None) -> None:
    import os

    import ebpfpy
    from trace_helpers import base_parser, poll_events, strftime_now, text

    p = base_parser("Trace open family syscalls.", short=True)
    p.add_argument("-e", "--extended-fields", action="store_true", help="print extended fields")
    p.add_argument("-n", "--name", help="trace process names containing this")
    p.add_argument("-p", "--pid", type=int, default=0, help="process ID to trace")
    p.add_argument("-t", "--tid", type=int, default=0, help="thread ID to trace")
    p.add_argument("-T", "--timestamp", action="store_true", help="print timestamp")
    p.add_argument("-u", "--uid", type=int, default=INVALID_UID, help="user ID to trace")
    p.add_argument("-U", "--print-uid", action="store_true", help="print UID")
    p.add_argument("-x", "--failed", action="store_true", help="failed opens only")
    p.add_argument("-c", "--callers", action="store_true", help="show calling functions")
    p.add_argument("-F", "--full-path", action="store_true", help="show full path")
    args = p.parse_args(argv)

    obj = ebpfpy.open(__file__)
    obj.config.targ_tgid = args.pid
    obj.config.targ_pid = args.tid
    obj.config.targ_uid = args.uid
    obj.config.targ_failed = args.failed
    obj.config.full_path = args.full_path

    def handle(e) -> None:
        comm = text(e.comm)
        if args.name and args.name not in comm:
            return
        fd, err = (e.ret, 0) if e.ret >= 0 else (-1, -e.ret)
        line = f"{strftime_now():<8} " if args.timestamp else ""
        line += f"{e.uid:<7} " if args.print_uid else ""
        line += f"{e.pid:<6} {comm:<16} {fd:>3} {err:>3} "
        if args.extended_fields:
            if e.mode == 0 and not e.flags & O_CREAT and (e.flags & O_TMPFILE) != O_TMPFILE:
                line += f"{e.flags:08o} n/a  "
            else:
                line += f"{e.flags:08o} {e.mode:04o} "
        print(line + (joined_path(e) if args.full_path else text(e.fname)), flush=True)
        if args.callers:
            from ebpfpy.symbols import UserSymbols, symbolize
            try:
                names = symbolize([c for c in e.callers if c], user=UserSymbols(e.pid))
            except OSError:
                names = []                              # the process has exited
            for name in names:
                print(" " * (len(line)) + name.split(" [")[0], flush=True)

    with obj.load():
        progs = list(obj.programs)
        if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_open"):
            progs = [n for n in progs if not n.endswith("_open")]      # no open(2) here
        for name in progs:
            obj.programs[name].attach()
        head = f"{'TIME':<8} " if args.timestamp else ""
        head += f"{'UID':<7} " if args.print_uid else ""
        head += f"{'PID':<6} {'COMM':<16} {'FD':>3} {'ERR':>3} "
        head += f"{'FLAGS':<8} {'MODE':<5} " if args.extended_fields else ""
        print(head + "PATH" + ("/CALLER" if args.callers else ""), flush=True)
        poll_events(obj.maps.events, handle, args.duration)


if __name__ == "__main__":
    main()
