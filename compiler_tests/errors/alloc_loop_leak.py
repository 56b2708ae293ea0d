# expect: E315 22:13
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
    for i in range(4):
        n = helpers.obj_new(Item)
        if n is None:
            break
        n.key = u64(i)
    return 0
