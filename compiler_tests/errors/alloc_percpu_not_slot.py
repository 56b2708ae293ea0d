# expect: E378 25:30
from ebpfpy import Array, Kptr, PerCpuKptr, RbNode, XdpContext, bpf_program, helpers, struct, u64


@struct
class Vals:
    sum: u64
    n: u64


@struct
class Slot:
    pc: PerCpuKptr[Vals]
    one: Kptr[Vals]


slots = Array(Slot, 1)


@bpf_program("xdp")
def main(ctx: XdpContext) -> int:
    v = slots.lookup(0)
    if v is None:
        return 0
    x = helpers.this_cpu_ptr(v)
    if x is None:
        return 0
    return int(x.sum)
