# expect: E079 18:9
from ebpfpy import bpf_program, bpf_function, struct, RingBuf, u32, u64, helpers

@struct
class Event:
    pid: u32
    n: u32

events = RingBuf(4096, event=Event)

@bpf_program("syscall")
def main(ctx) -> int:
    rec = events.reserve()
    if rec is None:
        return 0
    for i in range(4):
        rec.n += 1
        events.submit(rec)
    return 0
