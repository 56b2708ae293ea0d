"""killsnoop: one line per kill() — sender pid, command, signal, target pid and result.

A port of libbpf-tools' killsnoop, which reports through a perf event array (one perf
buffer per CPU) rather than a ring buffer.  ``sys_enter_kill`` keeps the arguments per
thread; ``sys_exit_kill`` adds the result and outputs the record with
``events.output(ctx, rec)``.  Userspace counts what the kernel dropped when a CPU's buffer
was full (``lost``).

    sudo ebpfpy run examples/tools/killsnoop.py          # records as they happen
    sudo python examples/tools/killsnoop.py              # a table, like the original
"""
from ebpfpy import HashMap, PerfEventArray, bpf_program, helpers, struct, i32, u8, u32


@struct
class Kill:
    pid: u32
    tpid: i32
    sig: i32
    ret: i32
    comm: u8[16]


inflight = HashMap(u32, Kill, max_entries=10240)       # thread id -> the call in progress
events = PerfEventArray(event=Kill)


@bpf_program("tracepoint/syscalls/sys_enter_kill")
def on_enter(ctx) -> int:
    tid = u32(helpers.get_current_pid_tgid())
    k = Kill(pid=u32(helpers.get_current_pid_tgid() >> 32), tpid=i32(ctx.pid), sig=i32(ctx.sig))
    k.comm = helpers.get_current_comm()
    inflight[tid] = k
    return 0


@bpf_program("tracepoint/syscalls/sys_exit_kill")
def on_exit(ctx) -> int:
    tid = u32(helpers.get_current_pid_tgid())
    k = inflight.lookup(tid)
    if k is None:
        return 0
    k.ret = i32(ctx.ret)
    events.output(ctx, k)
    del inflight[tid]
    return 0


def text(a) -> str:
    """A NUL-terminated byte array as text."""
    return bytes(a).split(b"\0", 1)[0].decode("utf-8", "replace")


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj, obj.programs.on_enter.attach(), \
            obj.programs.on_exit.attach():
        print(f"{'PID':>7} {'COMM':16} {'SIG':>4} {'TPID':>7} RESULT", flush=True)

        def lost(cpu: int, n: int) -> None:
            print(f"lost {n} events on CPU {cpu}", flush=True)
        try:
            while True:
                for ev in obj.maps.events.poll(timeout=1.0, lost=lost):
                    print(f"{ev.pid:>7} {text(ev.comm):16} {ev.sig:>4} {ev.tpid:>7} {ev.ret}",
                          flush=True)
        except KeyboardInterrupt:
            pass
