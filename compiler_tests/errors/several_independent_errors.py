# expect: E117 9:9
# expect: E061 10:9
# expect: E090 11:5
# expect: E101 13:9
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    x = 1.5
    y = nope
    while True:
        pass
    z = helpers.get_prandom_u32() / 3
    return 0
