# expect: E280 7:5
from ebpfpy import bpf_program, bpf_function, helpers, u8, u64, i64, XDP_PASS

@bpf_function
def peek(addr: u64) -> int:
    buf = u8[8]()
    helpers.copy_from_user(buf, addr)
    return i64(buf[0])

@bpf_program("xdp")
def main(ctx) -> int:
    peek(u64(0))
    return XDP_PASS
