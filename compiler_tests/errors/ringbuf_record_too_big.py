# expect: E057 10:30
from ebpfpy import bpf_program, struct, RingBuf, u64


@struct
class Sample:
    frames: u64[1024]


events = RingBuf(4096, event=Sample)


@bpf_program("syscall")
def main(ctx) -> int:
    e = events.reserve()
    if e is not None:
        events.submit(e)
    return 0
