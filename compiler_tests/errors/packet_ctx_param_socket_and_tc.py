# expect: E333 11:1
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


@bpf_program("tc")
def classify(ctx) -> int:
    proto_at(ctx, 12)
    return TC_ACT_OK


@bpf_program("socket")
def filt(ctx) -> int:
    return int(proto_at(ctx, 12) > 0)
