# expect: E195 16:29
from ebpfpy import RingBuf, bpf_program, struct, u8, u32


@struct
class Event:
    pid: u32
    name: u8[12]


rb = RingBuf(4096, event=Event)


@bpf_program("syscall")
def main(ctx) -> int:
    rb.output(Event(pid=1), 20)
    return 0
