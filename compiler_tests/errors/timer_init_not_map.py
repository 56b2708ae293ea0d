# expect: E171 19:18
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import Timer

@struct
class State:
    timer: Timer
    ticks: u64

timers = Array(State, 1)
plain = HashMap(u32, u64, max_entries=4)

@bpf_program("syscall")
def main(ctx) -> int:
    t = timers.lookup(0)
    if t is None:
        return 0
    t.timer.init(3)
    return 0
