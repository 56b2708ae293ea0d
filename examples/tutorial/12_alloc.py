"""Step 12: memory a program allocates.

    python examples/tutorial/12_alloc.py

Maps have a fixed number of slots, sized at load.  A program can also allocate objects as it
runs (``helpers.obj_new``, the kfunc ``bpf_obj_new``), free them (``helpers.obj_drop``) and
link them into a red-black tree or a list kept in a map value, under that value's spin lock.
Here every write() of this process allocates a ``Write`` and adds it to a tree ordered by
size; past K objects the smallest is taken out again and freed: a priority queue of the K
largest writes.  A ``syscall`` program then drains the tree into an array.
"""
from ebpfpy import (Array, Const, RbNode, RbRoot, SpinLock, bpf_function, bpf_program, helpers,
                    struct, u32, u64)

K = 3
NR_WRITE = 1                 # x86-64
targ_tgid: Const[u32] = 0


@struct
class Write:
    size: u64
    rb: RbNode               # links the object into a tree


@struct
class Top:
    lock: SpinLock           # guards the tree beside it
    held: u64
    root: RbRoot[Write, "rb"]


top = Array(Top, 1)
largest = Array(u64, K)


@bpf_function
def smaller(a: Write, b: Write) -> bool:
    return a.size < b.size


@bpf_program("tp_btf/sys_enter")
def on_write(ctx) -> int:
    if ctx.id != NR_WRITE or u32(helpers.get_current_pid_tgid() >> 32) != targ_tgid:
        return 0
    v = top.lookup(0)
    if v is None:
        return 0
    n = helpers.obj_new(Write)           # owned by the program: drop it or store it
    if n is None:
        return 0
    n.size = u64(ctx.regs.dx)            # write(fd, buf, count)
    with v.lock:
        v.root.add(n, smaller)           # stored: the tree owns n now
        full = v.held == K
        if not full:
            v.held += 1
        m = v.root.pop_first() if full else None     # owned again (or None)
    if m is not None:
        helpers.obj_drop(m)              # after the lock: no kfunc calls while it is held
    return 0


@bpf_program("syscall")
def drain(ctx) -> int:
    """Take the tree apart, smallest first, into ``largest``; how many there were."""
    v = top.lookup(0)
    if v is None:
        return 0
    count = 0
    for i in range(K):
        with v.lock:
            m = v.root.pop_first()
        if m is None:
            break
        largest[i] = m.size
        helpers.obj_drop(m)
        count += 1
    return count


if __name__ == "__main__":
    import os

    import ebpfpy

    sizes = [100, 7000, 42, 512, 65536, 3]
    with ebpfpy.load(__file__, config={"targ_tgid": os.getpid()}) as obj:
        fd = os.open(os.devnull, os.O_WRONLY)
        with obj.programs.on_write.attach():
            for size in sizes:
                os.write(fd, b"x" * size)
        os.close(fd)
        n = obj.programs.drain.test_run().retval
        print(f"writes: {', '.join(map(str, sizes))}")
        print(f"the {n} largest, from the tree: "
              f"{', '.join(str(obj.maps.largest[i]) for i in reversed(range(n)))}")
