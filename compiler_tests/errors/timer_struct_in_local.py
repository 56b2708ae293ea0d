# expect: E033 11:9
from ebpfpy import bpf_program, struct, Timer, u32

@struct
class State:
    timer: Timer
    ticks: u32

@bpf_program("syscall")
def main(ctx) -> int:
    s = State()
    return s.ticks
