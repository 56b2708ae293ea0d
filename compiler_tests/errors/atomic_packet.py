# expect: E190 15:31
from ebpfpy import XDP_PASS, bpf_program, helpers, struct, u32


@struct
class Hdr:
    seq: u32


@bpf_program("xdp")
def main(ctx) -> int:
    h = ctx.load(Hdr, 0)
    if h is None:
        return XDP_PASS
    old = helpers.atomic_xchg(h.seq, 0)
    return XDP_PASS if old == 0 else XDP_PASS
