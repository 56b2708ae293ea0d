# expect: E105 18:29
from ebpfpy import RingBuf, bpf_program, struct, u8, u32, i32


@struct
class Event:
    pid: u32
    name: u8[12]


rb = RingBuf(4096, event=Event)


@bpf_program("syscall")
def main(ctx) -> int:
    e = Event(pid=1)
    n = i32(e.pid) - 2
    return i32(rb.output(e, n) + 0)
