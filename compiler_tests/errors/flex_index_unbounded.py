# expect: E071 23:13
from ebpfpy import Flex, HashMap, RingBuf, Timer, bpf_program, struct, union, u8, u32, i64


@struct
class Rec:
    count: u32
    items: Flex[u8, 16]


@struct
class Args:
    n: u32


rb = RingBuf(4096, event=Rec)


@bpf_program("syscall")
def main(ctx: Args) -> int:
    r = Rec()
    r.count = ctx.n
    r.items[r.count] = 1
    rb.output(r, 4 + r.count)
    return 0
