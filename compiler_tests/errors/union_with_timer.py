# expect: E196 6:7
from ebpfpy import Array, Timer, bpf_program, union, u64


@union
class Slot:
    t: Timer
    n: u64


slots = Array(Slot, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
