# expect: E162 10:16
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import RingBuf
raw = RingBuf(4096)

@bpf_program("syscall")
def main(ctx) -> int:
    x = helpers.get_prandom_u32()
    raw.output(x > 1)
    return 0
