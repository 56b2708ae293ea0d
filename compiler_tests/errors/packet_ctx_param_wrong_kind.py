# expect: E332 21:25
from ebpfpy import TC_ACT_OK, SkbContext, bpf_function, bpf_program, struct, u16, u32


@struct
class Eth:
    proto: u16


@bpf_function
def proto_at(ctx: SkbContext, off: u32) -> int:
    eth = ctx.load(Eth, off)
    if eth is None:
        return -1
    return int(eth.proto)


@bpf_program("xdp")
def main(ctx) -> int:
    # an XDP program's ctx is an xdp_md, not the __sk_buff the function reads
    return int(proto_at(ctx, 12)) + TC_ACT_OK
