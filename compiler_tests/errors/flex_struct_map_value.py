# expect: E363 11:21
from ebpfpy import Flex, HashMap, RingBuf, Timer, bpf_program, struct, union, u8, u32, i64


@struct
class Rec:
    count: u32
    items: Flex[u8, 16]


recs = HashMap(u32, Rec, max_entries=8)


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
