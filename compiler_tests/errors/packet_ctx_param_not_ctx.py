# expect: E331 21:25
from ebpfpy import XDP_PASS, XdpContext, bpf_function, bpf_program, struct, u16, u32


@struct
class Eth:
    proto: u16


@bpf_function
def proto_at(ctx: XdpContext, off: u32) -> int:
    eth = ctx.load(Eth, off)
    if eth is None:
        return -1
    return int(eth.proto)


@bpf_program("xdp")
def main(ctx) -> int:
    other = u32(0)
    return int(proto_at(other, 12) + XDP_PASS)
