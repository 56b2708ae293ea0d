# expect: E149 7:36
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    buf = u8[16]()
    helpers.probe_read_kernel(buf, src=0)
    return 0
