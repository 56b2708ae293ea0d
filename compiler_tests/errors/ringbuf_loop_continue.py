# expect: E074 14:15
from ebpfpy import bpf_program, bpf_function, struct, RingBuf, u32, u64, helpers

@struct
class Event:
    pid: u32
    n: u32

events = RingBuf(4096, event=Event)

@bpf_program("syscall")
def main(ctx) -> int:
    for i in range(4):
        rec = events.reserve()
        if rec is None:
            break
        if i == 2:
            continue
        events.submit(rec)
    return 0
