# expect: E376 19:32
# expect: E376 20:32
from ebpfpy import RbNode, XdpContext, bpf_program, helpers, struct, u64


@struct
class Node:
    key: u64
    rb: RbNode


@struct
class Big:
    words: u64[65]


@bpf_program("xdp")
def main(ctx: XdpContext) -> int:
    p = helpers.percpu_obj_new(Node)
    q = helpers.percpu_obj_new(Big)
    return 0
