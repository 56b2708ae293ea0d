# expect: E317 24:22
from ebpfpy import Array, Kptr, bpf_program, bpf_function, helpers, struct, u32, u64


@struct
class Item:
    key: u64


@struct
class Slot:
    item: Kptr[Item]
    n: u64


slots = Array(Slot, 4)


@bpf_program("syscall")
def main(ctx) -> int:
    v = slots.lookup(0)
    if v is None:
        return 0
    helpers.obj_drop(v)
    return 0
