# expect: E379 23:9
from ebpfpy import Array, PerCpuKptr, bpf_program, helpers, struct, u64


@struct
class Vals:
    sum: u64


@struct
class Slot:
    pc: PerCpuKptr[Vals]


slots = Array(Slot, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    v = slots.lookup(0)
    if v is None:
        return 0
    x = helpers.this_cpu_ptr(v.pc)
    if x is None:
        return 0
    return int(x.sum)
