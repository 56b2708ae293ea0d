"""Sorting network: Batcher's odd-even merge sort of 16 u32 values (63 compare-exchanges) in a
struct on the stack, copied from the packet; returns the weighted sum (sum of (i+1)*v[i])."""
from ebpfpy import bpf_program, struct, u32, XDP_ABORTED

N = 16


@struct
class Vals:
    v: u32[N]


@bpf_program("xdp")
def sortnet(ctx) -> int:
    p = ctx.load(Vals, 0)
    if p is None:
        return XDP_ABORTED
    s = Vals()
    for i in range(N):
        s.v[i] = p.v[i]
    a = s.v[0]; b = s.v[1]; s.v[0] = min(a, b); s.v[1] = max(a, b)
    a = s.v[2]; b = s.v[3]; s.v[2] = min(a, b); s.v[3] = max(a, b)
    a = s.v[0]; b = s.v[2]; s.v[0] = min(a, b); s.v[2] = max(a, b)
    a = s.v[1]; b = s.v[3]; s.v[1] = min(a, b); s.v[3] = max(a, b)
    a = s.v[1]; b = s.v[2]; s.v[1] = min(a, b); s.v[2] = max(a, b)
    a = s.v[4]; b = s.v[5]; s.v[4] = min(a, b); s.v[5] = max(a, b)
    a = s.v[6]; b = s.v[7]; s.v[6] = min(a, b); s.v[7] = max(a, b)
    a = s.v[4]; b = s.v[6]; s.v[4] = min(a, b); s.v[6] = max(a, b)
    a = s.v[5]; b = s.v[7]; s.v[5] = min(a, b); s.v[7] = max(a, b)
    a = s.v[5]; b = s.v[6]; s.v[5] = min(a, b); s.v[6] = max(a, b)
    a = s.v[0]; b = s.v[4]; s.v[0] = min(a, b); s.v[4] = max(a, b)
    a = s.v[2]; b = s.v[6]; s.v[2] = min(a, b); s.v[6] = max(a, b)
    a = s.v[2]; b = s.v[4]; s.v[2] = min(a, b); s.v[4] = max(a, b)
    a = s.v[1]; b = s.v[5]; s.v[1] = min(a, b); s.v[5] = max(a, b)
    a = s.v[3]; b = s.v[7]; s.v[3] = min(a, b); s.v[7] = max(a, b)
    a = s.v[3]; b = s.v[5]; s.v[3] = min(a, b); s.v[5] = max(a, b)
    a = s.v[1]; b = s.v[2]; s.v[1] = min(a, b); s.v[2] = max(a, b)
    a = s.v[3]; b = s.v[4]; s.v[3] = min(a, b); s.v[4] = max(a, b)
    a = s.v[5]; b = s.v[6]; s.v[5] = min(a, b); s.v[6] = max(a, b)
    a = s.v[8]; b = s.v[9]; s.v[8] = min(a, b); s.v[9] = max(a, b)
    a = s.v[10]; b = s.v[11]; s.v[10] = min(a, b); s.v[11] = max(a, b)
    a = s.v[8]; b = s.v[10]; s.v[8] = min(a, b); s.v[10] = max(a, b)
    a = s.v[9]; b = s.v[11]; s.v[9] = min(a, b); s.v[11] = max(a, b)
    a = s.v[9]; b = s.v[10]; s.v[9] = min(a, b); s.v[10] = max(a, b)
    a = s.v[12]; b = s.v[13]; s.v[12] = min(a, b); s.v[13] = max(a, b)
    a = s.v[14]; b = s.v[15]; s.v[14] = min(a, b); s.v[15] = max(a, b)
    a = s.v[12]; b = s.v[14]; s.v[12] = min(a, b); s.v[14] = max(a, b)
    a = s.v[13]; b = s.v[15]; s.v[13] = min(a, b); s.v[15] = max(a, b)
    a = s.v[13]; b = s.v[14]; s.v[13] = min(a, b); s.v[14] = max(a, b)
    a = s.v[8]; b = s.v[12]; s.v[8] = min(a, b); s.v[12] = max(a, b)
    a = s.v[10]; b = s.v[14]; s.v[10] = min(a, b); s.v[14] = max(a, b)
    a = s.v[10]; b = s.v[12]; s.v[10] = min(a, b); s.v[12] = max(a, b)
    a = s.v[9]; b = s.v[13]; s.v[9] = min(a, b); s.v[13] = max(a, b)
    a = s.v[11]; b = s.v[15]; s.v[11] = min(a, b); s.v[15] = max(a, b)
    a = s.v[11]; b = s.v[13]; s.v[11] = min(a, b); s.v[13] = max(a, b)
    a = s.v[9]; b = s.v[10]; s.v[9] = min(a, b); s.v[10] = max(a, b)
    a = s.v[11]; b = s.v[12]; s.v[11] = min(a, b); s.v[12] = max(a, b)
    a = s.v[13]; b = s.v[14]; s.v[13] = min(a, b); s.v[14] = max(a, b)
    a = s.v[0]; b = s.v[8]; s.v[0] = min(a, b); s.v[8] = max(a, b)
    a = s.v[4]; b = s.v[12]; s.v[4] = min(a, b); s.v[12] = max(a, b)
    a = s.v[4]; b = s.v[8]; s.v[4] = min(a, b); s.v[8] = max(a, b)
    a = s.v[2]; b = s.v[10]; s.v[2] = min(a, b); s.v[10] = max(a, b)
    a = s.v[6]; b = s.v[14]; s.v[6] = min(a, b); s.v[14] = max(a, b)
    a = s.v[6]; b = s.v[10]; s.v[6] = min(a, b); s.v[10] = max(a, b)
    a = s.v[2]; b = s.v[4]; s.v[2] = min(a, b); s.v[4] = max(a, b)
    a = s.v[6]; b = s.v[8]; s.v[6] = min(a, b); s.v[8] = max(a, b)
    a = s.v[10]; b = s.v[12]; s.v[10] = min(a, b); s.v[12] = max(a, b)
    a = s.v[1]; b = s.v[9]; s.v[1] = min(a, b); s.v[9] = max(a, b)
    a = s.v[5]; b = s.v[13]; s.v[5] = min(a, b); s.v[13] = max(a, b)
    a = s.v[5]; b = s.v[9]; s.v[5] = min(a, b); s.v[9] = max(a, b)
    a = s.v[3]; b = s.v[11]; s.v[3] = min(a, b); s.v[11] = max(a, b)
    a = s.v[7]; b = s.v[15]; s.v[7] = min(a, b); s.v[15] = max(a, b)
    a = s.v[7]; b = s.v[11]; s.v[7] = min(a, b); s.v[11] = max(a, b)
    a = s.v[3]; b = s.v[5]; s.v[3] = min(a, b); s.v[5] = max(a, b)
    a = s.v[7]; b = s.v[9]; s.v[7] = min(a, b); s.v[9] = max(a, b)
    a = s.v[11]; b = s.v[13]; s.v[11] = min(a, b); s.v[13] = max(a, b)
    a = s.v[1]; b = s.v[2]; s.v[1] = min(a, b); s.v[2] = max(a, b)
    a = s.v[3]; b = s.v[4]; s.v[3] = min(a, b); s.v[4] = max(a, b)
    a = s.v[5]; b = s.v[6]; s.v[5] = min(a, b); s.v[6] = max(a, b)
    a = s.v[7]; b = s.v[8]; s.v[7] = min(a, b); s.v[8] = max(a, b)
    a = s.v[9]; b = s.v[10]; s.v[9] = min(a, b); s.v[10] = max(a, b)
    a = s.v[11]; b = s.v[12]; s.v[11] = min(a, b); s.v[12] = max(a, b)
    a = s.v[13]; b = s.v[14]; s.v[13] = min(a, b); s.v[14] = max(a, b)
    h = u32(0)
    for i in range(N):
        h += u32(i + 1) * s.v[i]
    return h
