# expect: E323 43:17
from ebpfpy import Array, Kptr, ListHead, ListNode, RbNode, RbRoot, SpinLock, bpf_function, bpf_program, helpers, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode


@struct
class Item:
    key: u64
    link: ListNode


@struct
class Tree:
    lock: SpinLock
    root: RbRoot[Node, "rb"]
    items: ListHead[Item, "link"]
    slot: Kptr[Item]


trees = Array(Tree, 2)


@bpf_function
def less(a: Node, b: Node) -> bool:
    return a.key < b.key


@bpf_program("syscall")
def main(ctx) -> int:
    v = trees.lookup(0)
    if v is None:
        return 0
    r: u64 = 0
    for i in range(4):
        with v.lock:
            x = v.root.first()
            if x is None:
                break
            r += x.key
    return int(r)
