# expect: E312 14:24
from ebpfpy import Array, RbNode, RbRoot, SpinLock, bpf_program, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode


@struct
class Tree:
    lock: SpinLock
    root: RbRoot[Node, "link"]


trees = Array(Tree, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
