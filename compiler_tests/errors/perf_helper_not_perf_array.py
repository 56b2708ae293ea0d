# expect: E187 12:36
from ebpfpy import bpf_program, struct, RingBuf, u32, helpers, BPF_F_CURRENT_CPU

@struct
class Event:
    pid: u32

events = RingBuf(4096, event=Event)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    helpers.perf_event_output(ctx, events, BPF_F_CURRENT_CPU, Event(pid=1))
    return 0
