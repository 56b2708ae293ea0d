# expect: E070 15:8
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

from ebpfpy import XDP_PASS

@struct
class Eth:
    dst: u8[6]
    src: u8[6]
    proto: u16

@bpf_program("xdp")
def main(ctx) -> int:
    eth = ctx.load(Eth, 0)
    if eth.proto == 8:
        return XDP_PASS
    return XDP_PASS
