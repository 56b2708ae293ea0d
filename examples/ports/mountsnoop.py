"""mountsnoop: trace mount, umount, fsopen, fsconfig, fsmount and move_mount syscalls.

Port of bcc's libbpf-tools/mountsnoop.bpf.c, mountsnoop.h and mountsnoop.c
(github.com/iovisor/bcc): each syscall's entry tracepoint saves its arguments, the time and
the operation per thread; the exit reads the strings the arguments point to (the tracepoints' fields by their
tracefs names: ``ctx.dev_name``, ``ctx.dir_name``, ...), the mount
namespace (``task.nsproxy.mnt_ns.ns.inum``) and the return value, and sends the event
through a ring buffer; read-only ``target_pid``; the same output (a ``strace``-like call per
line, or ``-d`` one field per line).  The C's unions are ``@union`` classes with its
layout: ``SysArg`` (``union sys_arg``: one struct per operation, the entry programs fill the
operation's member) and ``EventDetail``, the event's anonymous union, which Python names:
C's ``e->mount.src`` is ``e.detail.mount.src``.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/mountsnoop.py [-t] [-p PID] [-d]
"""
from ebpfpy import (Const, HashMap, RingBuf, bpf_function, bpf_program, helpers, i32, struct, union,
                    u8, u32, u64)

MAX_ENTRIES = 10240
TASK_COMM_LEN = 16
FS_NAME_LEN = 8
DATA_LEN = 512
PATH_MAX = 4096
MOUNT, UMOUNT, FSOPEN, FSCONFIG, FSMOUNT, MOVE_MOUNT = 1, 2, 3, 4, 5, 6
OP_NAMES = {MOUNT: "MOUNT", UMOUNT: "UMOUNT", FSOPEN: "FSOPEN", FSCONFIG: "FSCONFIG",
            FSMOUNT: "FSMOUNT", MOVE_MOUNT: "MOVE_MOUNT"}


@struct
class MountArg:
    flags: u64
    src: u64                            # const char * (user addresses)
    dest: u64
    fs: u64
    data: u64


@struct
class UmountArg:
    flags: u64
    dest: u64


@struct
class FsopenArg:
    fs: u64
    flags: u32


@struct
class FsconfigArg:
    fd: i32
    cmd: u32
    key: u64
    value: u64
    aux: i32


@struct
class FsmountArg:
    fs_fd: i32
    flags: u32
    attr_flags: u32


@struct
class MoveMountArg:
    from_dfd: i32
    from_pathname: u64
    to_dfd: i32
    to_pathname: u64
    flags: u32


@union
class SysArg:                           # union sys_arg: one member per operation
    mount: MountArg
    umount: UmountArg
    fsopen: FsopenArg
    fsconfig: FsconfigArg
    fsmount: FsmountArg
    move_mount: MoveMountArg


@struct
class Arg:
    ts: u64
    op: u32
    sys: SysArg


@struct
class MountEvent:
    flags: u64
    fs: u8[FS_NAME_LEN]
    src: u8[PATH_MAX]
    dest: u8[PATH_MAX]
    data: u8[DATA_LEN]


@struct
class UmountEvent:
    flags: u64
    dest: u8[PATH_MAX]


@struct
class FsopenEvent:
    fs: u8[FS_NAME_LEN]
    flags: u32


@struct
class FsconfigEvent:
    fd: i32
    cmd: u32
    key: u8[DATA_LEN]
    value: u8[DATA_LEN]
    aux: i32


@struct
class FsmountEvent:
    fs_fd: i32
    flags: u32
    attr_flags: u32


@struct
class MoveMountEvent:
    from_dfd: i32
    from_pathname: u8[PATH_MAX]
    to_dfd: i32
    to_pathname: u8[PATH_MAX]
    flags: u32


@union
class EventDetail:                      # the event's anonymous union
    mount: MountEvent
    umount: UmountEvent
    fsopen: FsopenEvent
    fsconfig: FsconfigEvent
    fsmount: FsmountEvent
    move_mount: MoveMountEvent


@struct
class Event:
    delta: u64
    pid: u32
    tid: u32
    mnt_ns: u32
    ret: i32
    op: u32
    comm: u8[TASK_COMM_LEN]
    detail: EventDetail                 # C: an anonymous union (e->mount.src is e.detail.mount.src)


target_pid: Const[i32] = 0

args = HashMap(u32, Arg, max_entries=MAX_ENTRIES)
events = RingBuf(1 << 20, event=Event)


@bpf_function
def probe_entry(sys: SysArg, op: u32) -> int:
    pid_tgid = helpers.get_current_pid_tgid()
    pid = u32(pid_tgid >> 32)
    tid = u32(pid_tgid)
    if target_pid != 0 and u32(target_pid) != pid:
        return 0
    arg = Arg(ts=helpers.ktime_get_ns(), op=op)
    arg.sys = sys                       # (the C's switch skips other ops; none reach here)
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
        if argp.op == MOUNT:
            e.detail.mount.flags = argp.sys.mount.flags
            helpers.probe_read_user_str(e.detail.mount.src, argp.sys.mount.src)
            helpers.probe_read_user_str(e.detail.mount.dest, argp.sys.mount.dest)
            helpers.probe_read_user_str(e.detail.mount.fs, argp.sys.mount.fs)
            helpers.probe_read_user_str(e.detail.mount.data, argp.sys.mount.data)
        elif argp.op == UMOUNT:
            e.detail.umount.flags = argp.sys.umount.flags
            helpers.probe_read_user_str(e.detail.umount.dest, argp.sys.umount.dest)
        elif argp.op == FSOPEN:
            e.detail.fsopen.flags = argp.sys.fsopen.flags
            helpers.probe_read_user_str(e.detail.fsopen.fs, argp.sys.fsopen.fs)
        elif argp.op == FSCONFIG:
            e.detail.fsconfig.fd = argp.sys.fsconfig.fd
            e.detail.fsconfig.cmd = argp.sys.fsconfig.cmd
            helpers.probe_read_user_str(e.detail.fsconfig.key, argp.sys.fsconfig.key)
            helpers.probe_read_user_str(e.detail.fsconfig.value, argp.sys.fsconfig.value)
            e.detail.fsconfig.aux = argp.sys.fsconfig.aux
        elif argp.op == FSMOUNT:
            e.detail.fsmount.fs_fd = argp.sys.fsmount.fs_fd
            e.detail.fsmount.flags = argp.sys.fsmount.flags
            e.detail.fsmount.attr_flags = argp.sys.fsmount.attr_flags
        elif argp.op == MOVE_MOUNT:
            e.detail.move_mount.from_dfd = argp.sys.move_mount.from_dfd
            helpers.probe_read_user_str(e.detail.move_mount.from_pathname,
                                        argp.sys.move_mount.from_pathname)
            e.detail.move_mount.to_dfd = argp.sys.move_mount.to_dfd
            helpers.probe_read_user_str(e.detail.move_mount.to_pathname,
                                        argp.sys.move_mount.to_pathname)
        events.submit(e)
    del args[tid]
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_mount")
def mount_entry(ctx) -> int:
    arg = SysArg()
    arg.mount.src = ctx.dev_name
    arg.mount.dest = ctx.dir_name
    arg.mount.fs = ctx.type
    arg.mount.flags = u64(ctx.flags)
    arg.mount.data = ctx.data
    return probe_entry(arg, MOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_mount")
def mount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_umount")
def umount_entry(ctx) -> int:
    arg = SysArg()
    arg.umount.dest = ctx.name
    arg.umount.flags = u64(ctx.flags)
    return probe_entry(arg, UMOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_umount")
def umount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsopen")
def fsopen_entry(ctx) -> int:
    arg = SysArg()
    arg.fsopen.fs = ctx._fs_name
    arg.fsopen.flags = u32(ctx.flags)
    return probe_entry(arg, FSOPEN)


@bpf_program("tracepoint/syscalls/sys_exit_fsopen")
def fsopen_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsconfig")
def fsconfig_entry(ctx) -> int:
    arg = SysArg()
    arg.fsconfig.fd = i32(ctx.fd)
    arg.fsconfig.cmd = u32(ctx.cmd)
    arg.fsconfig.key = ctx._key
    arg.fsconfig.value = ctx._value
    arg.fsconfig.aux = i32(ctx.aux)
    return probe_entry(arg, FSCONFIG)


@bpf_program("tracepoint/syscalls/sys_exit_fsconfig")
def fsconfig_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_fsmount")
def fsmount_entry(ctx) -> int:
    arg = SysArg()
    arg.fsmount.fs_fd = i32(ctx.fs_fd)
    arg.fsmount.flags = u32(ctx.flags)
    arg.fsmount.attr_flags = u32(ctx.attr_flags)
    return probe_entry(arg, FSMOUNT)


@bpf_program("tracepoint/syscalls/sys_exit_fsmount")
def fsmount_exit(ctx) -> int:
    return probe_exit(i32(ctx.ret))


@bpf_program("tracepoint/syscalls/sys_enter_move_mount")
def move_mount_entry(ctx) -> int:
    arg = SysArg()
    arg.move_mount.from_dfd = i32(ctx.from_dfd)
    arg.move_mount.from_pathname = ctx.from_pathname
    arg.move_mount.to_dfd = i32(ctx.to_dfd)
    arg.move_mount.to_pathname = ctx.to_pathname
    return probe_entry(arg, MOVE_MOUNT)


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
    d = e.detail
    if e.op == UMOUNT:
        return f'umount("{text(d.umount.dest)}", {strmountflags(d.umount.flags)}) = {ret}'
    if e.op == MOUNT:
        m = d.mount
        return (f'mount("{text(m.src)}", "{text(m.dest)}", "{text(m.fs)}", '
                f'{strmountflags(m.flags)}, "{text(m.data)}") = {ret}')
    if e.op == FSOPEN:
        return f'fsopen("{text(d.fsopen.fs)}", {strmountflags(d.fsopen.flags)}) = {ret}'
    if e.op == FSCONFIG:
        c = d.fsconfig
        cmd = FSCONFIG_CMDS[c.cmd] if 0 <= c.cmd <= 8 else "UNKNOWN"
        return f'fsconfig({c.fd}, "{cmd}", "{text(c.key)}", "{text(c.value)}", {c.aux}) = {ret}'
    if e.op == FSMOUNT:
        f = d.fsmount
        return (f'fsmount({f.fs_fd}, "{strbits(f.flags, FSMOUNT_FLAGS, "0x0")}", '
                f'"{strbits(f.attr_flags, FSMOUNT_ATTR_FLAGS)}") = {ret}')
    if e.op == MOVE_MOUNT:
        mm = d.move_mount
        to = "AT_FDCWD" if mm.to_dfd == AT_FDCWD else str(mm.to_dfd)
        return (f'move_mount({mm.from_dfd}, "{text(mm.from_pathname)}", {to}, '
                f'"{text(mm.to_pathname)}", "{strbits(mm.flags, MOVE_MOUNT_FLAGS)}") = {ret}')
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
        d = e.detail
        if e.op == MOUNT:
            m = d.mount
            rows += [("FS:     ", text(m.fs)), ("SOURCE: ", text(m.src)),
                     ("TARGET: ", text(m.dest)), ("DATA:   ", text(m.data)),
                     ("FLAGS:  ", strmountflags(m.flags))]
        elif e.op == UMOUNT:
            rows += [("TARGET: ", text(d.umount.dest)), ("FLAGS:  ", strmountflags(d.umount.flags))]
        elif e.op == FSOPEN:
            rows += [("FS:     ", text(d.fsopen.fs)), ("FLAGS:  ", strmountflags(d.fsopen.flags))]
        elif e.op == FSCONFIG:
            c = d.fsconfig
            cmd = FSCONFIG_CMDS[c.cmd] if 0 <= c.cmd <= 8 else "UNKNOWN"
            rows += [("FD:     ", c.fd), ("CMD:    ", cmd), ("KEY:    ", text(c.key)),
                     ("VALUE:  ", text(c.value))]
        elif e.op == FSMOUNT:
            f = d.fsmount
            rows += [("FS_FD:       ", f.fs_fd), ("FLAGS:       ", strbits(f.flags, FSMOUNT_FLAGS, "0x0")),
                     ("ATTR_FLAGS:  ", strbits(f.attr_flags, FSMOUNT_ATTR_FLAGS))]
        elif e.op == MOVE_MOUNT:
            mm = d.move_mount
            rows += [("FROM_DFD:       ", mm.from_dfd), ("FROM_PATHNAME:  ", text(mm.from_pathname)),
                     ("TO_DFD:         ", mm.to_dfd), ("TO_PATHNAME:    ", text(mm.to_pathname)),
                     ("FLAGS:          ", strbits(mm.flags, MOVE_MOUNT_FLAGS))]
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
