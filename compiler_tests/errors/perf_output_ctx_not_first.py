# expect: E180 15:19
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
    events.output(Event(pid=1), ctx)
    return 0
