"""Broken on purpose (step 12): freeing an object while the tree's lock is held."""
from ebpfpy import Array, RbNode, RbRoot, SpinLock, bpf_program, helpers, struct, u64


@struct
class Write:
    size: u64
    rb: RbNode


@struct
class Top:
    lock: SpinLock
    root: RbRoot[Write, "rb"]


top = Array(Top, 1)


@bpf_program("syscall")
def drop_smallest(ctx) -> int:
    v = top.lookup(0)
    if v is None:
        return 0
    with v.lock:
        m = v.root.pop_first()
        if m is not None:
            helpers.obj_drop(m)            # expect: E323 28:13
    return 0
