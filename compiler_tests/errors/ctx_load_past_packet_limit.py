# expect: E166 6:23
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers, XDP_PASS

@bpf_program("xdp")
def main(ctx) -> int:
    b = ctx.load(u32, 65534)
    if b is None:
        return XDP_PASS
    return XDP_PASS
