"""mountsnoop: trace mount, umount, fsopen, fsconfig, fsmount and move_mount syscalls.

Port of bcc's libbpf-tools/mountsnoop.bpf.c, mountsnoop.h and mountsnoop.c
(github.com/iovisor/bcc): each syscall's entry tracepoint saves its arguments, the time and
the operation per thread; the exit reads the strings the arguments point to (the tracepoints' fields by their
tracefs names: ``ctx.dev_name``, ``ctx.dir_name``, ...), the mount
namespace (``task.nsproxy.mnt_ns.ns.inum``) and the return value, and sends the event
through a ring buffer; read-only ``target_pid``; the same output (a ``strace``-like call per
line, or ``-d`` one field per line).  Differences: the C keeps the arguments in ``union
sys_arg`` and the event's per-operation fields in an anonymous union; here the arguments
are the syscall's argument words (``u64[5]``, what each union member holds) and the event
is one struct whose fields the operations share (``src`` is also move_mount's
from_pathname, ``dest`` umount's target and move_mount's to_pathname, ``data`` fsconfig's
key), a few hundred bytes larger than the union (the port predates unions in ``@struct``,
which would now mirror the C layout).  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/mountsnoop.py [-t] [-p PID] [-d]
"""
from ebpfpy import Const, HashMap, RingBuf, bpf_function, bpf_program, helpers, i32, struct, u8, u32, u64

MAX_ENTRIES = 10240
TASK_COMM_LEN = 16
FS_NAME_LEN = 8
DATA_LEN = 512
PATH_MAX = 4096
MOUNT, UMOUNT, FSOPEN, FSCONFIG, FSMOUNT, MOVE_MOUNT = 1, 2, 3, 4, 5, 6
OP_NAMES = {MOUNT: "MOUNT", UMOUNT: "UMOUNT", FSOPEN: "FSOPEN", FSCONFIG: "FSCONFIG",
            FSMOUNT: "FSMOUNT", MOVE_MOUNT: "MOVE_MOUNT"}


@struct
class Arg:
    ts: u64
    op: u32
    sys: u64[5]                         # the syscall's arguments (union sys_arg)


@struct
class Event:
    delta: u64
    pid: u32
    tid: u32
    mnt_ns: u32
    ret: i32
    op: u32
    comm: u8[TASK_COMM_LEN]
    flags: u64
    fd: i32                             # fsconfig fd, fsmount fs_fd, move_mount from_dfd
    cmd: u32
    aux: i32
    attr_flags: u32
    to_dfd: i32
    fs: u8[FS_NAME_LEN]
    src: u8[PATH_MAX]                   # mount src, move_mount from_pathname
    dest: u8[PATH_MAX]                  # mount/umount target, move_mount to_pathname
    data: u8[DATA_LEN]                  # mount data, fsconfig key
    value: u8[DATA_LEN]                 # fsconfig value


target_pid: Const[i32] = 0

args = HashMap(u32, Arg, max_entries=MAX_ENTRIES)
events = RingBuf(1 << 20, event=Event)


@bpf_function
def probe_entry(sys: u64[5], op: u32) -> int:
    pid_tgid = helpers.get_current_pid_tgid()
    pid = u32(pid_tgid >> 32)
    tid = u32(pid_tgid)
    if target_pid != 0 and u32(target_pid) != pid:
        return 0
    arg = Arg(ts=helpers.ktime_get_ns(), op=op)
    arg.sys = sys
    args[tid] = arg
    return 0


@bpf_function
def probe_exit(ret: i32) -> int:
    pid_tgid = helpers.get_current_pid_tgid()
    tid = u32(pid_tgid)
    argp = args.lookup(tid)
    if argp is None:
        return 0
    e = events.reserve()
    if e is not None:
        task = helpers.get_current_task_btf()
        e.delta = helpers.ktime_get_ns() - argp.ts
        e.op = argp.op
        e.pid = u32(pid_tgid >> 32)
        e.tid = tid
        e.mnt_ns = task.nsproxy.mnt_ns.ns.inum
        e.ret = ret
        e.comm = helpers.get_current_comm()
        a = argp.sys
        if argp.op == MOUNT:            # src, dest, fs, flags, data
            e.flags = a[3]
            helpers.probe_read_user_str(e.src, a[0])
            helpers.probe_read_user_str(e.dest, a[1])
            helpers.probe_read_user_str(e.fs, a[2])
            helpers.probe_read_user_str(e.data, a[4])
        elif argp.op == UMOUNT:         # dest, flags
            e.flags = a[1]
            helpers.probe_read_user_str(e.dest, a[0])
        elif argp.op == FSOPEN:         # fs, flags
            e.flags = u64(u32(a[1]))
            helpers.probe_read_user_str(e.fs, a[0])
        elif argp.op == FSCONFIG:       # fd, cmd, key, value, aux
            e.fd = i32(a[0])
            e.cmd = u32(a[1])
            helpers.probe_read_user_str(e.data, a[2])
            helpers.probe_read_user_str(e.value, a[3])
            e.aux = i32(a[4])
        elif argp.op == FSMOUNT:        # fs_fd, flags, attr_flags
            e.fd = i32(a[0])
            e.flags = u64(u32(a[1]))
            e.attr_flags = u32(a[2])
        elif argp.op == MOVE_MOUNT:     # from_dfd, from_pathname, to_dfd, to_pathname
            e.fd = i32(a[0])
            helpers.probe_read_user_str(e.src, a[1])
            e.to_dfd = i32(a[2])
            helpers.probe_read_user_str(e.dest, a[3])
        events.submit(e)
    del args[tid]
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_mount")
def mount_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = ctx.dev_name
    sys[1] = ctx.dir_name
    sys[2] = ctx.type
    sys[3] = u64(ctx.flags)
    sys[4] = ctx.data
    return probe_entry(sys, MOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_mount")
def mount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_umount")
def umount_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = ctx.name
    sys[1] = u64(ctx.flags)
    return probe_entry(sys, UMOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_umount")
def umount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsopen")
def fsopen_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = ctx._fs_name
    sys[1] = u64(ctx.flags)
    return probe_entry(sys, FSOPEN)


@bpf_program("tracepoint/syscalls/sys_exit_fsopen")
def fsopen_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsconfig")
def fsconfig_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = u64(u32(ctx.fd))
    sys[1] = u64(ctx.cmd)
    sys[2] = ctx._key
    sys[3] = ctx._value
    sys[4] = u64(u32(ctx.aux))
    return probe_entry(sys, FSCONFIG)


@bpf_program("tracepoint/syscalls/sys_exit_fsconfig")
def fsconfig_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsmount")
def fsmount_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = u64(u32(ctx.fs_fd))
    sys[1] = u64(ctx.flags)
    sys[2] = u64(ctx.attr_flags)
    return probe_entry(sys, FSMOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_fsmount")
def fsmount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_move_mount")
def move_mount_entry(ctx) -> int:
    sys = u64[5]()
    sys[0] = u64(u32(ctx.from_dfd))
    sys[1] = ctx.from_pathname
    sys[2] = u64(u32(ctx.to_dfd))
    sys[3] = ctx.to_pathname
    return probe_entry(sys, MOVE_MOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_move_mount")
def move_mount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


MNT_FLAGS = ["MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_SYNCHRONOUS", "MS_REMOUNT",
             "MS_MANDLOCK", "MS_DIRSYNC", "MS_NOSYMFOLLOW", "MS_NOATIME", "MS_NODIRATIME",
             "MS_BIND", "MS_MOVE", "MS_REC", "MS_VERBOSE", "MS_SILENT", "MS_POSIXACL",
             "MS_UNBINDABLE", "MS_PRIVATE", "MS_SLAVE", "MS_SHARED", "MS_RELATIME",
             "MS_KERNMOUNT", "MS_I_VERSION", "MS_STRICTATIME", "MS_LAZYTIME", "MS_SUBMOUNT",
             "MS_NOREMOTELOCK", "MS_NOSEC", "MS_BORN", "MS_ACTIVE", "MS_NOUSER"]
FSMOUNT_FLAGS = [(0x1, "FSMOUNT_CLOEXEC")]
FSMOUNT_ATTR_FLAGS = [(0x1, "MOUNT_ATTR_RDONLY"), (0x2, "MOUNT_ATTR_NOSUID"),
                      (0x4, "MOUNT_ATTR_NODEV"), (0x8, "MOUNT_ATTR_NOEXEC"),
                      (0x70, "MOUNT_ATTR__ATIME"), (0x0, "MOUNT_ATTR_RELATIME"),
                      (0x10, "MOUNT_ATTR_NOATIME"), (0x20, "MOUNT_ATTR_STRICTATIME"),
                      (0x80, "MOUNT_ATTR_NODIRATIME"), (0x100000, "MOUNT_ATTR_IDMAP"),
                      (0x200000, "MOUNT_ATTR_NOSYMFOLLOW")]
MOVE_MOUNT_FLAGS = [(0x1, "MOVE_MOUNT_F_SYMLINKS"), (0x2, "MOVE_MOUNT_F_AUTOMOUNTS"),
                    (0x4, "MOVE_MOUNT_F_EMPTY_PATH"), (0x10, "MOVE_MOUNT_T_SYMLINKS"),
                    (0x20, "MOVE_MOUNT_T_AUTOMOUNTS"), (0x40, "MOVE_MOUNT_T_EMPTY_PATH"),
                    (0x100, "MOVE_MOUNT_SET_GROUP"), (0x200, "MOVE_MOUNT_BENEATH")]
FSCONFIG_CMDS = ["FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY",
                 "FSCONFIG_SET_PATH", "FSCONFIG_SET_PATH_EMPTY", "FSCONFIG_SET_FD",
                 "FSCONFIG_CMD_CREATE", "FSCONFIG_CMD_RECONFIGURE", "FSCONFIG_CMD_CREATE_EXCL"]
AT_FDCWD = -100


def strmountflags(flags: int) -> str:
    if not flags:
        return "0x0"
    return " | ".join(name for i, name in enumerate(MNT_FLAGS) if flags & (1 << i))


def strbits(flags: int, names: list[tuple[int, str]], zero: str = "") -> str:
    if not flags and zero:
        return zero
    return " | ".join(name for bit, name in names if bit & flags)


def strerrno(ret: int) -> str:
    """``-ENOENT`` for -2 (glibc's strerrorname_np), ``0`` for 0."""
    import errno
    if not ret:
        return "0"
    name = errno.errorcode.get(-ret)
    return f"-{name}" if name else str(ret)


def gen_call(e) -> str:
    from trace_helpers import text
    ret = strerrno(e.ret)
    if e.op == UMOUNT:
        return f'umount("{text(e.dest)}", {strmountflags(e.flags)}) = {ret}'
    if e.op == MOUNT:
        return (f'mount("{text(e.src)}", "{text(e.dest)}", "{text(e.fs)}", '
                f'{strmountflags(e.flags)}, "{text(e.data)}") = {ret}')
    if e.op == FSOPEN:
        return f'fsopen("{text(e.fs)}", {strmountflags(e.flags)}) = {ret}'
    if e.op == FSCONFIG:
        cmd = FSCONFIG_CMDS[e.cmd] if 0 <= e.cmd <= 8 else "UNKNOWN"
        return f'fsconfig({e.fd}, "{cmd}", "{text(e.data)}", "{text(e.value)}", {e.aux}) = {ret}'
    if e.op == FSMOUNT:
        return (f'fsmount({e.fd}, "{strbits(e.flags, FSMOUNT_FLAGS, "0x0")}", '
                f'"{strbits(e.attr_flags, FSMOUNT_ATTR_FLAGS)}") = {ret}')
    if e.op == MOVE_MOUNT:
        to = "AT_FDCWD" if e.to_dfd == AT_FDCWD else str(e.to_dfd)
        return (f'move_mount({e.fd}, "{text(e.src)}", {to}, "{text(e.dest)}", '
                f'"{strbits(e.flags, MOVE_MOUNT_FLAGS)}") = {ret}')
    return ""


def main(argv=None) -> None:
    import argparse

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Trace mount, umount, fsopen, fsconfig, fsmount, "
                                "move_mount syscalls.")
    p.add_argument("-p", "--pid", type=int, default=0, help="Process ID to trace")
    p.add_argument("-t", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-d", "--detailed", action="store_true", help="Output result in detail mode")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    obj = ebpfpy.open(__file__)
    obj.config.target_pid = args.pid

    def handle(e) -> None:
        indent = ""
        out = ""
        if args.timestamp:
            out += strftime_now()
            indent = "    "
        if not args.detailed:
            print(out + f"{text(e.comm):<16} {e.pid:<7} {e.tid:<7} {e.mnt_ns:<11} {gen_call(e)}",
                  flush=True)
            return
        if args.timestamp:
            out += "\n"
        rows = [("PID:    ", e.pid), ("TID:    ", e.tid), ("COMM:   ", text(e.comm)),
                ("OP:     ", OP_NAMES.get(e.op, "")), ("RET:    ", strerrno(e.ret)),
                ("LAT:    ", f"{e.delta // 1000}us"), ("MNT_NS: ", e.mnt_ns)]
        if e.op == MOUNT:
            rows += [("FS:     ", text(e.fs)), ("SOURCE: ", text(e.src)),
                     ("TARGET: ", text(e.dest)), ("DATA:   ", text(e.data)),
                     ("FLAGS:  ", strmountflags(e.flags))]
        elif e.op == UMOUNT:
            rows += [("TARGET: ", text(e.dest)), ("FLAGS:  ", strmountflags(e.flags))]
        elif e.op == FSOPEN:
            rows += [("FS:     ", text(e.fs)), ("FLAGS:  ", strmountflags(e.flags))]
        elif e.op == FSCONFIG:
            cmd = FSCONFIG_CMDS[e.cmd] if 0 <= e.cmd <= 8 else "UNKNOWN"
            rows += [("FD:     ", e.fd), ("CMD:    ", cmd), ("KEY:    ", text(e.data)),
                     ("VALUE:  ", text(e.value))]
        elif e.op == FSMOUNT:
            rows += [("FS_FD:       ", e.fd), ("FLAGS:       ", strbits(e.flags, FSMOUNT_FLAGS, "0x0")),
                     ("ATTR_FLAGS:  ", strbits(e.attr_flags, FSMOUNT_ATTR_FLAGS))]
        elif e.op == MOVE_MOUNT:
            rows += [("FROM_DFD:       ", e.fd), ("FROM_PATHNAME:  ", text(e.src)),
                     ("TO_DFD:         ", e.to_dfd), ("TO_PATHNAME:    ", text(e.dest)),
                     ("FLAGS:          ", strbits(e.flags, MOVE_MOUNT_FLAGS))]
        print(out + "".join(f"{indent}{k}{v}\n" for k, v in rows), flush=True)

    with obj.load():
        for name in obj.programs:
            obj.programs[name].attach()
        if not args.detailed:
            head = f"{'TIME':<8} " if args.timestamp else ""
            print(head + f"{'COMM':<16} {'PID':<7} {'TID':<7} {'MNT_NS':<11} CALL", flush=True)
        poll_events(obj.maps.events, handle, args.duration)


if __name__ == "__main__":
    main()
