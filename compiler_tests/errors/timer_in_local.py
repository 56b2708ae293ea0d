# expect: E215 17:10
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import Timer

@struct
class State:
    timer: Timer

timers = Array(State, 1)

@bpf_program("syscall")
def main(ctx) -> int:
    t = timers.lookup(0)
    if t is None:
        return 0
    tm = t.timer
    return 0
