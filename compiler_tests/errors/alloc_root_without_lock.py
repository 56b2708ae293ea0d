# expect: E324 12:7
from ebpfpy import Array, RbNode, RbRoot, bpf_program, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode


@struct
class Tree:
    count: u64
    root: RbRoot[Node, "rb"]


trees = Array(Tree, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
