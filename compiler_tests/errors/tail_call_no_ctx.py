# expect: E164 21:21
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import RingBuf, ProgArray

@struct
class Event:
    pid: u32

@struct
class Other:
    x: u64

counts = HashMap(u32, u64, max_entries=16)
events = RingBuf(1 << 12, event=Event)
progs = ProgArray(4)
arr = Array(u64, 4)

@bpf_program("xdp")
def main(ctx) -> int:
    progs.tail_call(0, 1)
    return 0
