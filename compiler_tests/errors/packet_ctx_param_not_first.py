# expect: E330 16:27
from ebpfpy import XDP_PASS, XdpContext, bpf_function, bpf_program, struct, u16, u32


@struct
class Cursor:
    pos: u32


@struct
class Eth:
    proto: u16


@bpf_function
def parse_eth(nh: Cursor, ctx: XdpContext) -> int:
    eth = ctx.load(Eth, nh.pos)
    if eth is None:
        return -1
    return int(eth.proto)


@bpf_program("xdp")
def main(ctx) -> int:
    return XDP_PASS
