# expect: E377 28:36
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
    p = helpers.percpu_obj_new(Vals)
    if p is None:
        return 0
    old = helpers.kptr_xchg(v.one, p)
    if old is not None:
        helpers.obj_drop(old)
    return 0
