# expect: E076 13:5
from ebpfpy import bpf_program, bpf_function, struct, RingBuf, u32, u64, helpers

@struct
class Event:
    pid: u32
    n: u32

events = RingBuf(4096, event=Event)

@bpf_program("syscall")
def main(ctx) -> int:
    events.reserve().pid = 1
    return 0
