"""gethostlatency: show latency of host name lookups (getaddrinfo, gethostbyname[2]).

Port of bcc's libbpf-tools/gethostlatency.bpf.c, gethostlatency.h and gethostlatency.c
(github.com/iovisor/bcc): one uprobe and one uretprobe program attached to libc's
``getaddrinfo``, ``gethostbyname`` and ``gethostbyname2`` (``attach(path=, symbols=[...])``,
one link per symbol); the entry saves the time, command and host name (read from user
memory) per thread, the return sends the record with the elapsed time through a perf
buffer; read-only ``target_pid`` (``-p``, which also limits the probes to that process);
libc found in this process's /proc/self/maps (``-l`` names another).  The same columns.
Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/gethostlatency.py [-p PID] [-l LIBC]
"""
from ebpfpy import Const, HashMap, PerfEventArray, bpf_program, helpers, i32, struct, u8, u32, u64

MAX_ENTRIES = 10240
TASK_COMM_LEN = 16
HOST_LEN = 80


@struct
class Event:
    time: u64
    pid: u32
    comm: u8[TASK_COMM_LEN]
    host: u8[HOST_LEN]


target_pid: Const[i32] = 0

starts = HashMap(u32, Event, max_entries=MAX_ENTRIES)
events = PerfEventArray(event=Event)


@bpf_program("uprobe")
def handle_entry(ctx) -> int:
    if ctx.di == 0:                                 # PT_REGS_PARM1: the host name
        return 0
    pid_tgid = helpers.get_current_pid_tgid()
    pid = u32(pid_tgid >> 32)
    tid = u32(pid_tgid)
    if target_pid != 0 and u32(target_pid) != pid:
        return 0
    event = Event(time=helpers.ktime_get_ns(), pid=pid)
    event.comm = helpers.get_current_comm()
    helpers.probe_read_user_str(event.host, ctx.di)
    starts[tid] = event
    return 0


@bpf_program("uretprobe")
def handle_return(ctx) -> int:
    tid = u32(helpers.get_current_pid_tgid())
    eventp = starts.lookup(tid)
    if eventp is None:
        return 0
    eventp.time = helpers.ktime_get_ns() - eventp.time      # from timestamp to delta
    events.output(ctx, eventp)
    del starts[tid]
    return 0


def libc_path() -> str | None:
    """uprobe_helpers.c's ``get_libc_path``: the libc this process maps."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "/libc.so" in path or "/libc-" in path:
                return path
    return None


def main(argv=None) -> int:
    import argparse
    import sys

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Show latency for getaddrinfo/gethostbyname[2] calls.")
    p.add_argument("-p", "--pid", type=int, default=0, help="Process ID to trace")
    p.add_argument("-l", "--libc", help="Specify which libc.so to use")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    libc = args.libc or libc_path()
    if libc is None:
        print("could not find libc.so", file=sys.stderr)
        return 1

    obj = ebpfpy.open(__file__)
    obj.config.target_pid = args.pid

    def handle(e) -> None:
        print(f"{strftime_now():<8} {e.pid:<7} {text(e.comm):<16} {e.time / 1000000:<10.3f} "
              f"{text(e.host)}", flush=True)

    with obj.load():
        names = ["getaddrinfo", "gethostbyname", "gethostbyname2"]
        pid = args.pid or -1
        obj.programs.handle_entry.attach(pid=pid, path=libc, symbols=names)
        obj.programs.handle_return.attach(pid=pid, path=libc, symbols=names)
        print(f"{'TIME':<8} {'PID':<7} {'COMM':<16} {'LATms':<10} HOST", flush=True)
        poll_events(obj.maps.events, handle, args.duration,
                    lost_fmt="lost {n} events on CPU #{cpu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
