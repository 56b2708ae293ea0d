# expect: E375 6:7
from ebpfpy import Array, ListNode, RbNode, Refcount, bpf_program, helpers, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode
    link: ListNode
    ref: Refcount
    again: Refcount


@bpf_program("syscall")
def main(ctx) -> int:
    n = helpers.obj_new(Node)
    if n is None:
        return 0
    helpers.obj_drop(n)
    return 0
