"""Broken on purpose (step 5): tracing programs may not use timers."""
from ebpfpy import bpf_program, bpf_function, struct, Array, Timer, u32


@struct
class T:
    timer: Timer


timers = Array(T, 1)


@bpf_function
def fire(m, key: u32, t: T) -> int:
    return 0


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def arm(ctx) -> int:
    t = timers.lookup(0)
    if t is None:
        return 0
    t.timer.init(timers)        # expect: E170 23:5
    t.timer.set_callback(fire)
    t.timer.start(0)
    return 0
