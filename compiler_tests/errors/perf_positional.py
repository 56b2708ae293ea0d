# expect: E050 11:10
from ebpfpy import bpf_program, struct, PerfEventArray, u32

@struct
class Event:
    pid: u32

@struct
class Other:
    x: u32
events = PerfEventArray(Event)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    return 0
