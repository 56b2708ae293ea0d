# expect: E317 44:34
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
    helpers.obj_drop(n)
    m = helpers.refcount_acquire(v)
    return 0
