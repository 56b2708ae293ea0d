# expect: E017 10:6
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    return 0


def setup():
    @bpf_function
    def helper(x: u32) -> u32:
        return x
    return helper
