# expect: E174 13:13
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import Timer

@struct
class State:
    timer: Timer

timers = Array(State, 1)

@bpf_function
def tick(m, key: u64, value: State) -> int:
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    t = timers.lookup(0)
    if t is None:
        return 0
    t.timer.init(timers)
    t.timer.set_callback(tick)
    return 0
