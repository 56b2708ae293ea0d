# expect: E291 6:7
from ebpfpy import Array, ListHead, ListNode, RbNode, RbRoot, SpinLock, bpf_program, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode
    link: ListNode


@struct
class Tree:
    lock: SpinLock
    root: RbRoot[Node, "rb"]


trees = Array(Tree, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
