"""alloc_topk: the K largest write() calls of a process, kept in a red-black tree in the kernel.

Every write() of the watched process (``targ_tgid``; 0 watches every process) allocates a
``Write`` object (``helpers.obj_new``) and adds it to a tree ordered by size, under the spin
lock of the map value holding the tree.  Once the tree holds ``k`` objects, each new one pushes
the smallest out (``pop_first``), which is freed after the lock is released: a priority queue
of the K largest writes, in memory the program allocates as it runs, with no fixed-size table.

Userspace reads the result by running ``drain``, a ``syscall`` program, with ``test_run``: it
takes the objects out of the tree, smallest first, into the ``results`` array.

    sudo python examples/alloc_topk.py [-p PID] [-k K] [-d SECONDS]

The trigger is ``tp_btf/sys_enter`` (the syscall number and the registers; ``write`` is 1 on
x86-64): the kernel refuses spin locks and trees in plain tracepoint and kprobe programs.
"""
from ebpfpy import (Array, Const, RbNode, RbRoot, SpinLock, bpf_function, bpf_program, helpers,
                    struct, u32, u64)

MAX_K = 64                 # the size of the results array: the most a drain can return
NR_WRITE = 1               # x86-64

targ_tgid: Const[u32] = 0  # 0: every process
k: Const[u64] = 8


@struct
class Write:
    size: u64
    tgid: u32
    fd: u32
    rb: RbNode


@struct
class Top:
    lock: SpinLock
    held: u64              # objects in the tree (at most k)
    seen: u64              # writes seen
    root: RbRoot[Write, "rb"]


@struct
class Entry:
    size: u64
    tgid: u32
    fd: u32


top = Array(Top, 1)
results = Array(Entry, MAX_K)


@bpf_function
def smaller(a: Write, b: Write) -> bool:
    """The tree's order: the smallest write first."""
    return a.size < b.size


@bpf_program("tp_btf/sys_enter")
def on_sys_enter(ctx) -> int:
    if ctx.id != NR_WRITE:
        return 0
    tgid = u32(helpers.get_current_pid_tgid() >> 32)
    if targ_tgid != 0 and tgid != targ_tgid:
        return 0
    v = top.lookup(0)
    if v is None:
        return 0
    n = helpers.obj_new(Write)
    if n is None:
        return 0
    n.size = u64(ctx.regs.dx)         # write(fd, buf, count): count is the third argument
    n.fd = u32(ctx.regs.di)
    n.tgid = tgid
    with v.lock:
        v.root.add(n, smaller)
        v.seen += 1
        full = v.held >= k
        if not full:
            v.held += 1
        m = v.root.pop_first() if full else None     # the smallest one leaves
    if m is not None:
        helpers.obj_drop(m)           # no kfunc calls while the lock is held
    return 0


@bpf_program("syscall")
def drain(ctx) -> int:
    """Move the tree into ``results``, smallest first; the number of entries moved."""
    v = top.lookup(0)
    if v is None:
        return 0
    moved = 0
    for i in range(MAX_K):
        with v.lock:
            m = v.root.pop_first()
            if v.held > 0:
                v.held -= 1
        if m is None:
            break
        e = results.lookup(i)
        if e is not None:
            e.size = m.size
            e.tgid = m.tgid
            e.fd = m.fd
        helpers.obj_drop(m)
        moved += 1
    return moved


def read_top(obj) -> list[tuple[int, int, int]]:
    """(size, tgid, fd) of the K largest writes so far, largest first (empties the tree)."""
    n = obj.programs.drain.test_run().retval
    out = [(e.size, e.tgid, e.fd) for e in (obj.maps.results[i] for i in range(n))]
    return out[::-1]


if __name__ == "__main__":
    import argparse
    import time

    import ebpfpy

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-p", "--pid", type=int, default=0, help="process to watch (default: all)")
    p.add_argument("-k", type=int, default=8, help=f"how many writes to keep (<= {MAX_K})")
    p.add_argument("-d", "--duration", type=float, default=5.0, help="seconds to watch")
    args = p.parse_args()
    with ebpfpy.load(__file__, config={"targ_tgid": args.pid, "k": min(args.k, MAX_K)}) as obj:
        with obj.programs.on_sys_enter.attach():
            time.sleep(args.duration)
        seen = obj.maps.top[0].seen
        print(f"{seen} writes seen; the {min(args.k, MAX_K)} largest:")
        print(f"{'BYTES':>10} {'PID':>7} {'FD':>4}")
        for size, tgid, fd in read_top(obj):
            print(f"{size:>10} {tgid:>7} {fd:>4}")
