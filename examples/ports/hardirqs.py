"""hardirqs: summarize hard IRQ event time per handler, as totals or log2 histograms.

Port of bcc's libbpf-tools/hardirqs.bpf.c, hardirqs.h and hardirqs.c (github.com/iovisor/bcc):
``irq_handler_entry`` stamps the time in a per-CPU array, ``irq_handler_exit`` keys a hash by
the handler's name (``action->name``, read with ``bpf_probe_read_kernel_str``) and, with
``-C``, the CPU, counting events, total and maximum time (``-d``: log2 slots); read-only
``filter_cg``, ``targ_dist``, ``targ_ns``, ``cpu`` and ``targ_cpu``, the cgroup filter
(``-c PATH``); userspace prints and clears the hash each interval as the original does.  The
``tp_btf`` programs attach where the kernel has BTF, the ``raw_tp`` twins elsewhere.
Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/hardirqs.py [-C] [-d] [-c CG] [--cpu CPU] [-T] [-N] [INTERVAL [COUNT]]
"""
from ebpfpy import (CgroupArray, Const, HashMap, PerCpuArray, bpf_function, bpf_program, helpers,
                    i32, struct, u8, u32, u64)
from ebpfpy.kernel import irqaction

MAX_ENTRIES = 256
MAX_SLOTS = 20


@struct
class IrqKey:
    name: u8[32]
    cpu: u32


@struct
class Info:
    count: u64
    total_time: u64
    max_time: u64
    slots: u32[MAX_SLOTS]


filter_cg: Const[bool] = False
targ_dist: Const[bool] = False
targ_ns: Const[bool] = False
cpu: Const[bool] = False
targ_cpu: Const[i32] = -1

cgroup_map = CgroupArray(1)
start = PerCpuArray(u64, max_entries=1)
infos = HashMap(IrqKey, Info, max_entries=MAX_ENTRIES)


@bpf_function
def log2l(v: u64) -> u64:
    """The index of the highest set bit (bits.bpf.h's ``log2l``; 0 for 0)."""
    r: u64 = 0
    for _ in range(64):
        if v <= 1:
            break
        v = v >> 1
        r += 1
    return r


@bpf_function
def is_target_cpu() -> bool:
    if targ_cpu < 0:
        return True
    return targ_cpu == i32(helpers.get_smp_processor_id())


@bpf_function
def handle_entry() -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if not is_target_cpu():
        return 0
    start[0] = helpers.ktime_get_ns()
    return 0


@bpf_function
def handle_exit(name: u64) -> int:
    if filter_cg and helpers.current_task_under_cgroup(cgroup_map, 0) != 1:
        return 0
    if not is_target_cpu():
        return 0
    tsp = start.lookup(0)
    if tsp is None:
        return 0
    delta = helpers.ktime_get_ns() - tsp.value
    if not targ_ns:
        delta = delta // 1000
    ikey = IrqKey()
    helpers.probe_read_kernel_str(ikey.name, name)
    if cpu:
        ikey.cpu = helpers.get_smp_processor_id()
    infos.insert(ikey, Info())                      # bpf_map_lookup_or_try_init
    info = infos.lookup(ikey)
    if info is None:
        return 0
    info.count += 1
    if not targ_dist:
        info.total_time += delta
        if delta > info.max_time:
            info.max_time = delta
    else:
        slot = log2l(delta)
        if slot >= MAX_SLOTS:
            slot = MAX_SLOTS - 1
        info.slots[slot] += 1
    return 0


@bpf_program("tp_btf/irq_handler_entry")
def irq_handler_entry_btf(ctx) -> int:
    return handle_entry()


@bpf_program("tp_btf/irq_handler_exit")
def irq_handler_exit_btf(ctx) -> int:
    return handle_exit(ctx.action.name)


@bpf_program("raw_tp/irq_handler_entry")
def irq_handler_entry(ctx) -> int:
    return handle_entry()


@bpf_program("raw_tp/irq_handler_exit")
def irq_handler_exit(ctx) -> int:
    return handle_exit(irqaction(ctx.args[1]).name)     # BPF_CORE_READ(action, name)


def main(argv=None) -> None:
    import argparse
    import os
    import time

    import ebpfpy
    from trace_helpers import Interrupted, print_log2_hist, strftime_now, text

    p = argparse.ArgumentParser(description="Summarize hard irq event time as histograms.")
    p.add_argument("-C", "--CPU", dest="per_cpu", action="store_true",
                   help="Display separately by CPU")
    p.add_argument("-d", "--distributed", action="store_true", help="Show distributions as histograms")
    p.add_argument("-c", "--cgroup", help="Trace process in cgroup path")
    p.add_argument("-s", "--cpu", type=int, default=-1, help="Only stat irq on selected cpu")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-N", "--nanoseconds", action="store_true", help="Output in nanoseconds")
    p.add_argument("interval", nargs="?", type=int, default=99999999)
    p.add_argument("times", nargs="?", type=int, default=99999999)
    args = p.parse_args(argv)
    units = "nsecs" if args.nanoseconds else "usecs"

    obj = ebpfpy.open(__file__)
    obj.config.filter_cg = args.cgroup is not None
    obj.config.cpu = args.per_cpu
    obj.config.targ_cpu = args.cpu
    obj.config.targ_dist = args.distributed
    obj.config.targ_ns = args.nanoseconds

    def print_map() -> None:
        if not args.distributed:
            head = f"{'HARDIRQ':<33} {'TOTAL_count':>11} {'TOTAL_':>6}{units:>5} {'MAX_':>4}{units:>5}"
            print(head + (f" {'CPU':>3}" if args.per_cpu else ""))
        items = obj.maps.infos.items()
        for key, info in items:
            if not args.distributed:
                line = f"{text(key.name):<33} {info.count:>11} {info.total_time:>11} {info.max_time:>9}"
                print(line + (f" {key.cpu:>3}" if args.per_cpu else ""))
            else:
                print((f"cpu = {key.cpu} " if args.per_cpu else "") + f"hardirq = {text(key.name)}")
                print_log2_hist(list(info.slots), units)
        for key, _ in items:
            del obj.maps.infos[key]

    with obj.load():
        if args.cgroup:
            obj.maps.cgroup_map[0] = args.cgroup
        btf = os.path.exists("/sys/kernel/btf/vmlinux")          # probe_tp_btf
        for name in (("irq_handler_entry_btf", "irq_handler_exit_btf") if btf
                     else ("irq_handler_entry", "irq_handler_exit")):
            obj.programs[name].attach()
        stop = Interrupted()
        print("Tracing hard irq event time... Hit Ctrl-C to end.", flush=True)
        times = args.times
        while True:
            end = time.monotonic() + args.interval
            while not stop.exiting and time.monotonic() < end:
                time.sleep(min(0.1, max(end - time.monotonic(), 0)))
            print()
            if args.timestamp:
                print(f"{strftime_now():<8}")
            print_map()
            print(end="", flush=True)
            times -= 1
            if stop.exiting or times == 0:
                break


if __name__ == "__main__":
    main()
