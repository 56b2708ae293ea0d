# expect: E292 28:9
from ebpfpy import Array, RbNode, RbRoot, SpinLock, bpf_function, bpf_program, helpers, struct, u32, u64


@struct
class Node:
    size: u64
    rb: RbNode


@struct
class Tree:
    lock: SpinLock
    n: u64
    root: RbRoot[Node, "rb"]


trees = Array(Tree, 1)


@bpf_function
def less(a: Node, b: Node) -> bool:
    return a.size < b.size


@bpf_program("tracepoint/syscalls/sys_enter_write")
def on_write(ctx) -> int:
    v = trees.lookup(0)
    if v is None:
        return 0
    n = helpers.obj_new(Node)
    if n is None:
        return 0
    n.size = ctx.count
    with v.lock:
        v.root.add(n, less)
        v.n += 1
        m = v.root.pop_first() if v.n > 4 else None
    if m is not None:
        helpers.obj_drop(m)
    return 0
