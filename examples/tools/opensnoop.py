"""opensnoop: one line per openat() — pid, command, flags, the path asked for and the result.

A port of BCC's / libbpf-tools' opensnoop.  ``sys_enter_openat`` remembers the arguments
(typed by name from tracefs: ``ctx.filename``, ``ctx.flags``) per thread; ``sys_exit_openat``
adds the return value (a file descriptor, or ``-errno``) and emits the record.

    sudo ebpfpy run examples/tools/opensnoop.py
    sudo python examples/tools/opensnoop.py
"""
from ebpfpy import HashMap, RingBuf, bpf_program, helpers, i64, struct, u8, u32, u64

PATH_LEN = 128


@struct
class Open:
    pid: u32
    flags: u32
    ret: i64
    comm: u8[16]
    path: u8[PATH_LEN]


@struct
class Args:
    filename: u64
    flags: u32


pending = HashMap(u64, Args, max_entries=10240)      # pid_tgid -> arguments at entry
events = RingBuf(1 << 18, event=Open)


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def on_enter(ctx) -> int:
    pending[helpers.get_current_pid_tgid()] = Args(filename=ctx.filename, flags=u32(ctx.flags))
    return 0


@bpf_program("tracepoint/syscalls/sys_exit_openat")
def on_exit(ctx) -> int:
    id = helpers.get_current_pid_tgid()
    a = pending.lookup(id)
    if a is None:
        return 0
    e = Open(pid=u32(id >> 32), flags=a.flags, ret=ctx.ret)
    e.comm = helpers.get_current_comm()
    helpers.probe_read_user_str(e.path, a.filename)
    del pending[id]
    events.output(e)
    return 0


def text(a) -> str:
    """A NUL-terminated byte array as text."""
    return bytes(a).split(b"\0", 1)[0].decode("utf-8", "replace")


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj, obj.programs.on_enter.attach(), \
            obj.programs.on_exit.attach():
        print(f"{'PID':>7} {'COMM':16} {'FD':>4} {'ERR':>3} PATH", flush=True)
        try:
            while True:
                for ev in obj.maps.events.poll(timeout=1.0):
                    fd, err = (ev.ret, 0) if ev.ret >= 0 else (-1, -ev.ret)
                    print(f"{ev.pid:>7} {text(ev.comm):16} {fd:>4} {err:>3} {text(ev.path)}",
                          flush=True)
        except KeyboardInterrupt:
            pass
