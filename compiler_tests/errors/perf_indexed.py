# expect: E133 15:5
from ebpfpy import bpf_program, struct, PerfEventArray, u32

@struct
class Event:
    pid: u32

@struct
class Other:
    x: u32
events = PerfEventArray(event=Event)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    events[0] = u32(1)
    return 0
