"""runqslower: trace high run queue latency, one line per wakeup slower than a threshold.

Port of bcc's libbpf-tools/runqslower.bpf.c, runqslower.h and runqslower.c
(github.com/iovisor/bcc): ``sched_wakeup``/``sched_wakeup_new`` stamp the time per thread,
``sched_switch`` (which also stamps a preempted, still-running ``prev``) sends an event when
the thread waited longer than ``min_us``, through a perf buffer; read-only ``targ_comm``
(``-c``, a prefix), ``filter_comm``, ``min_us``, ``targ_pid`` and ``targ_tgid``; the same
columns, ``-P`` adding the previous task.  The ``tp_btf`` programs attach where the kernel
has BTF, the ``raw_tp`` twins elsewhere; the task state is ``__state``, or ``state`` on
kernels before 5.14, through CO-RE flavours (``@kernel_struct task_struct___o/___x``), as
core_fixes.bpf.h reads it.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/runqslower.py [-p PID] [-t TID] [-c COMM] [-P] [MIN_US]
"""
from ebpfpy import (Const, HashMap, PerfEventArray, bpf_function, bpf_program, helpers, i32,
                    i64, kernel_struct, struct, u8, u32, u64)
from ebpfpy.kernel import task_struct

TASK_RUNNING = 0
TASK_COMM_LEN = 16


@struct
class Event:
    task: u8[TASK_COMM_LEN]
    prev_task: u8[TASK_COMM_LEN]
    delta_us: u64
    pid: i32
    prev_pid: i32


targ_comm: Const[u8[TASK_COMM_LEN]]
filter_comm: Const[bool] = False
min_us: Const[u64] = 0
targ_pid: Const[i32] = 0
targ_tgid: Const[i32] = 0

start = HashMap(u32, u64, max_entries=10240)
events = PerfEventArray(event=Event)


@kernel_struct
class task_struct___o:
    state: i64                          # before 5.14 (commit 2f064a59a1)


@kernel_struct
class task_struct___x:
    __state: u32


@bpf_function
def get_task_state(task: u64) -> i64:
    """core_fixes.bpf.h's ``get_task_state``: ``__state``, or ``state`` on older kernels."""
    t = task_struct___x(task)
    if helpers.field_exists(t.__state):
        return i64(t.__state)
    else:
        return task_struct___o(task).state


@bpf_function
def comm_allowed(comm: u8[TASK_COMM_LEN]) -> bool:
    for i in range(TASK_COMM_LEN):
        if targ_comm[i] == 0:
            break
        if comm[i] != targ_comm[i]:
            return False
    return True


@bpf_function
def trace_enqueue(tgid: u32, pid: u32, comm: u8[TASK_COMM_LEN]) -> int:
    if pid == 0:
        return 0
    if targ_tgid != 0 and u32(targ_tgid) != tgid:
        return 0
    if targ_pid != 0 and u32(targ_pid) != pid:
        return 0
    if filter_comm and not comm_allowed(comm):
        return 0
    start[pid] = helpers.ktime_get_ns()
    return 0


@bpf_function
def enqueue_task(p: task_struct) -> int:
    comm = u8[TASK_COMM_LEN]()
    if filter_comm:
        comm = p.comm
    return trace_enqueue(u32(p.tgid), u32(p.pid), comm)


@bpf_function
def handle_switch(prev: task_struct, nxt: task_struct, e: Event) -> bool:
    """Fill ``e`` and say whether to send it (the C sends from here; the ctx the perf
    output needs stays in the program)."""
    if get_task_state(u64(prev)) == TASK_RUNNING:   # ivcsw: an enqueue of prev
        enqueue_task(prev)
    pid = u32(nxt.pid)
    tsp = start.lookup(pid)
    if tsp is None:
        return False                                # missed enqueue
    delta_us = (helpers.ktime_get_ns() - tsp.value) // 1000
    if min_us != 0 and delta_us <= min_us:
        return False
    e.pid = i32(pid)
    e.prev_pid = prev.pid
    e.delta_us = delta_us
    e.task = nxt.comm
    e.prev_task = prev.comm
    del start[pid]
    return True


@bpf_program("tp_btf/sched_wakeup")
def sched_wakeup(ctx) -> int:
    return enqueue_task(ctx.p)


@bpf_program("tp_btf/sched_wakeup_new")
def sched_wakeup_new(ctx) -> int:
    return enqueue_task(ctx.p)


@bpf_program("tp_btf/sched_switch")
def sched_switch(ctx) -> int:
    e = Event()
    if handle_switch(ctx.prev, ctx.next, e):
        events.output(ctx, e)
    return 0


@bpf_program("raw_tp/sched_wakeup")
def handle_sched_wakeup(ctx) -> int:
    p = task_struct(ctx.args[0])
    comm = u8[TASK_COMM_LEN]()
    if filter_comm:
        comm = p.comm
    return trace_enqueue(u32(p.tgid), u32(p.pid), comm)


@bpf_program("raw_tp/sched_wakeup_new")
def handle_sched_wakeup_new(ctx) -> int:
    p = task_struct(ctx.args[0])
    comm = u8[TASK_COMM_LEN]()
    if filter_comm:
        comm = p.comm
    return trace_enqueue(u32(p.tgid), u32(p.pid), comm)


@bpf_program("raw_tp/sched_switch")
def handle_sched_switch(ctx) -> int:
    prev = task_struct(ctx.args[1])
    nxt = task_struct(ctx.args[2])
    if get_task_state(ctx.args[1]) == TASK_RUNNING:
        comm = u8[TASK_COMM_LEN]()
        if filter_comm:
            comm = prev.comm
        trace_enqueue(u32(prev.tgid), u32(prev.pid), comm)
    pid = u32(nxt.pid)
    tsp = start.lookup(pid)
    if tsp is None:
        return 0
    delta_us = (helpers.ktime_get_ns() - tsp.value) // 1000
    if min_us != 0 and delta_us <= min_us:
        return 0
    e = Event(pid=i32(pid), prev_pid=prev.pid, delta_us=delta_us)
    e.task = nxt.comm
    e.prev_task = prev.comm
    events.output(ctx, e)
    del start[pid]
    return 0


def main(argv=None) -> int:
    import argparse
    import os
    import sys

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Trace high run queue latency.")
    p.add_argument("-p", "--pid", type=int, default=0, help="Process PID to trace")
    p.add_argument("-t", "--tid", type=int, default=0, help="Thread TID to trace")
    p.add_argument("-c", "--comm", help="filter processes by command name prefix")
    p.add_argument("-P", "--previous", action="store_true",
                   help="also show previous task name and TID")
    p.add_argument("min_us", nargs="?", type=int, default=10000)
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    if args.min_us <= 0:
        print(f"Invalid delay (in us): {args.min_us}", file=sys.stderr)
        return 1

    obj = ebpfpy.open(__file__)
    if args.comm:
        obj.config.targ_comm = list(args.comm.encode()[:TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0"))
        obj.config.filter_comm = True
    obj.config.targ_tgid = args.pid
    obj.config.targ_pid = args.tid
    obj.config.min_us = args.min_us

    def handle(e) -> None:
        line = f"{strftime_now():<8} {text(e.task):<16} {e.pid:<6} {e.delta_us:>14}"
        if args.previous:
            line += f" {text(e.prev_task):<16} {e.prev_pid:<6}"
        print(line, flush=True)

    with obj.load():
        btf = os.path.exists("/sys/kernel/btf/vmlinux")          # probe_tp_btf
        names = (("sched_wakeup", "sched_wakeup_new", "sched_switch") if btf else
                 ("handle_sched_wakeup", "handle_sched_wakeup_new", "handle_sched_switch"))
        for name in names:
            obj.programs[name].attach()
        print(f"Tracing run queue latency higher than {args.min_us} us", flush=True)
        if args.previous:
            print(f"{'TIME':<8} {'COMM':<16} {'TID':<6} {'LAT(us)':>14} {'PREV COMM':<16} {'PREV TID':<6}", flush=True)
        else:
            print(f"{'TIME':<8} {'COMM':<16} {'TID':<6} {'LAT(us)':>14}", flush=True)
        poll_events(obj.maps.events, handle, args.duration,
                    lost_fmt="lost {n} events on CPU #{cpu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
