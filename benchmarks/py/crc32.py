"""CRC-32 (IEEE, bitwise, branch-free) over the first 64 bytes of an XDP packet; returns it."""
from ebpfpy import bpf_program, struct, u8, u32, XDP_ABORTED

N = 64


@struct
class Buf:
    b: u8[N]


@bpf_program("xdp")
def crc32(ctx) -> int:
    p = ctx.load(Buf, 0)
    if p is None:
        return XDP_ABORTED
    crc = u32(0xFFFFFFFF)
    for i in range(N):
        crc ^= p.b[i]
        for k in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 & (u32(0) - (crc & 1)))
    return ~crc
