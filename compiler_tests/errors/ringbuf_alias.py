# expect: E080 22:13
# expect: E080 23:10
from ebpfpy import bpf_program, bpf_function, struct, RingBuf, u32, u64, helpers

@struct
class Event:
    pid: u32
    n: u32

events = RingBuf(4096, event=Event)

@bpf_function
def fill(e: Event) -> u32:
    e.n = 3
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    rec = events.reserve()
    if rec is None:
        return 0
    other = rec
    fill(rec)
    events.submit(rec)
    return 0
