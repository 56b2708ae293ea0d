"""Hash-map counting: 16 keys from the packet, each counted in a HashMap (atomic, created when absent)."""
from ebpfpy import bpf_program, struct, HashMap, u32, u64, XDP_ABORTED, XDP_PASS

K = 16


@struct
class Keys:
    k: u32[K]


counts = HashMap(u32, u64, max_entries=1024)


@bpf_program("xdp")
def hashcount(ctx) -> int:
    p = ctx.load(Keys, 0)
    if p is None:
        return XDP_ABORTED
    for i in range(K):
        counts[p.k[i] & 1023] += 1
    return XDP_PASS
