# expect: E334 7:8
from ebpfpy import TC_ACT_OK, bpf_program, helpers


@bpf_program("tc")
def shrink(ctx) -> int:
    if helpers.xdp_adjust_head(ctx, 4) != 0:
        return TC_ACT_OK
    return TC_ACT_OK
