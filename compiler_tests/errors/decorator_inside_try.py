# expect: E017 5:6
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

try:
    @bpf_program("syscall")
    def main(ctx) -> int:
        return 0
except ImportError:
    pass
