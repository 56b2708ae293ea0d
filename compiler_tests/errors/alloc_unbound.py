# expect: E314 12:5
from ebpfpy import bpf_program, helpers, struct, u64


@struct
class Item:
    key: u64


@bpf_program("syscall")
def main(ctx) -> int:
    helpers.obj_new(Item)
    return 0
