# expect: E314 45:26
from ebpfpy import Array, ListHead, ListNode, RbNode, RbRoot, Refcount, SpinLock, bpf_function, bpf_program, helpers, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode
    link: ListNode
    ref: Refcount


@struct
class Plain:
    key: u64
    rb: RbNode


@struct
class Both:
    lock: SpinLock
    tree: RbRoot[Node, "rb"]
    fifo: ListHead[Node, "link"]
    plain: RbRoot[Plain, "rb"]


boths = Array(Both, 2)


@bpf_function
def less(a: Node, b: Node) -> bool:
    return a.key < b.key


@bpf_program("syscall")
def main(ctx) -> int:
    v = boths.lookup(0)
    if v is None:
        return 0
    n = helpers.obj_new(Node)
    if n is None:
        return 0
    with v.lock:
        v.tree.add(n, less)
        v.fifo.push_back(helpers.refcount_acquire(n))
    return 0
