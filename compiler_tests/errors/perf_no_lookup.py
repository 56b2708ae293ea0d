# expect: E161 15:5
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
    events.lookup(0)
    return 0
