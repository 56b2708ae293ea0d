# expect: E313 21:25
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
    n = helpers.obj_new(u64)
    return 0
