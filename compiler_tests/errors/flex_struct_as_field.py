# expect: E363 13:10
from ebpfpy import Flex, HashMap, RingBuf, Timer, bpf_program, struct, union, u8, u32, i64


@struct
class Rec:
    count: u32
    items: Flex[u8, 16]


@struct
class Outer:
    rec: Rec


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
