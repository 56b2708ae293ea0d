# expect: E149 9:19
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import RingBuf
events = RingBuf(4096)

@bpf_program("syscall")
def main(ctx) -> int:
    events.output(record=1)
    return 0
