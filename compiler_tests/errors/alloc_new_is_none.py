# expect: E314 12:8
from ebpfpy import bpf_program, helpers, struct, u64


@struct
class Item:
    key: u64


@bpf_program("syscall")
def main(ctx) -> int:
    if helpers.obj_new(Item) is None:
        return 0
    return 1
