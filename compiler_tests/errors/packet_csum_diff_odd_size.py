# expect: E336 9:27
from ebpfpy import XDP_PASS, bpf_program, helpers, u16


@bpf_program("xdp")
def diff(ctx) -> int:
    old = u16[3]()
    new = u16[4]()
    d = helpers.csum_diff(old, new)
    return XDP_PASS if d != 0 else XDP_PASS
