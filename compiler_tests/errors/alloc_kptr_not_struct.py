# expect: E310 7:16
from ebpfpy import Array, Kptr, bpf_program, u64, struct


@struct
class Slot:
    item: Kptr[u64]


slots = Array(Slot, 4)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
