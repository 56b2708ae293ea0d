"""Internet checksum (RFC 1071) over the first 512 bytes of an XDP packet; returns it."""
from ebpfpy import bpf_program, struct, u16, u32, XDP_ABORTED

N = 256                     # 16-bit words


@struct
class Payload:
    w: u16[N]


@bpf_program("xdp")
def checksum(ctx) -> int:
    p = ctx.load(Payload, 0)
    if p is None:
        return XDP_ABORTED
    s = u32(0)
    for i in range(N):
        s += p.w[i]
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
