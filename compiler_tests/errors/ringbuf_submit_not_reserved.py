# expect: E077 14:19
from ebpfpy import bpf_program, bpf_function, struct, RingBuf, u32, u64, helpers

@struct
class Event:
    pid: u32
    n: u32

events = RingBuf(4096, event=Event)

@bpf_program("syscall")
def main(ctx) -> int:
    e = Event(pid=1)
    events.submit(e)
    return 0
