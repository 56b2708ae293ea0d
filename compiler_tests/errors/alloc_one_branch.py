# expect: E315 21:9
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
    n = helpers.obj_new(Item)
    if n is None:
        return 0
    if helpers.get_prandom_u32() > 5:
        helpers.obj_drop(n)
    return 0
