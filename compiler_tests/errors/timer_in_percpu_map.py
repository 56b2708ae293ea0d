# expect: E055 10:22
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import Timer, PerCpuArray

@struct
class State:
    timer: Timer

timers = PerCpuArray(State, 1)

@bpf_program("syscall")
def main(ctx) -> int:
    return 0
