# expect: E360 8:21
from ebpfpy import Flex, HashMap, RingBuf, Timer, bpf_program, struct, union, u8, u32, i64


@struct
class Rec:
    count: u32
    items: Flex[u8, 0]


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
