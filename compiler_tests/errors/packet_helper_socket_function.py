# expect: E334 11:5
from ebpfpy import SkbContext, bpf_function, bpf_program, helpers, u8


@bpf_function
def clear_tos(ctx: SkbContext) -> None:
    zero = u8[1]()
    # a socket filter cannot write its packet: the kernel offers skb_store_bytes to tc
    # programs, and clear_tos is called from a socket filter below
    # (only its callers tell which kind of __sk_buff program it runs in)
    helpers.skb_store_bytes(ctx, 15, zero)


@bpf_program("socket")
def filt(ctx) -> int:
    clear_tos(ctx)
    return 0
