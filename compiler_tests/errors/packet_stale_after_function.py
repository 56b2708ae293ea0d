# expect: E337 30:5
from ebpfpy import TC_ACT_OK, bpf_function, bpf_program, SkbContext, helpers, struct, u8, u16


@struct
class IpHdr:
    ver_ihl: u8
    tos: u8
    tot_len: u16


@bpf_function
def clear_tos(ctx: SkbContext) -> None:
    zero = u8[1]()
    helpers.skb_store_bytes(ctx, 15, zero)


@bpf_program("tc")
def fix(ctx) -> int:
    ip = ctx.load(IpHdr, 14)
    if ip is None:
        return TC_ACT_OK
    tos = ip.tos
    if tos == 0:
        return TC_ACT_OK
    # clear_tos changes the packet (skb_store_bytes), so every reference taken before it
    # is stale, also on the path where the if is not taken
    if tos > 4:
        clear_tos(ctx)
    ip.tot_len = 0
    return TC_ACT_OK
