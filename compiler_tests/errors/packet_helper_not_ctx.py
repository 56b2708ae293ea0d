# expect: E335 8:32
from ebpfpy import XDP_PASS, bpf_program, helpers, i32


@bpf_program("xdp")
def grow(ctx) -> int:
    n = i32(-4)
    if helpers.xdp_adjust_head(n, n) != 0:
        return XDP_PASS
    return XDP_PASS
