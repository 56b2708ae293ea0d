# expect: E216 14:5
# expect: E216 15:5
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class P:
    x: u32

pmap = HashMap(u32, P, max_entries=4)

@bpf_program("syscall")
def main(ctx) -> int:
    p = P()
    p += 1
    pmap[1] += 1
    return 0
