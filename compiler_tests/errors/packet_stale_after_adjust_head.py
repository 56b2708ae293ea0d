# expect: E337 20:8
from ebpfpy import XDP_DROP, XDP_PASS, bpf_program, helpers, struct, u8, u16


@struct
class EthHdr:
    dst: u8[6]
    src: u8[6]
    proto: u16


@bpf_program("xdp")
def pop(ctx) -> int:
    eth = ctx.load(EthHdr, 0)
    if eth is None:
        return XDP_DROP
    if helpers.xdp_adjust_head(ctx, 4) != 0:
        return XDP_DROP
    # eth still points 4 bytes before the new start of the packet
    if eth.proto == 0:
        return XDP_DROP
    return XDP_PASS
