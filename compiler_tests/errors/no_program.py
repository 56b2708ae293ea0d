# expect: E010 1:1
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

counts = HashMap(u32, u64, max_entries=16)

@bpf_function
def helper(x: u32) -> u32:
    return x + 1

if __name__ == "__main__":
    print("userspace only")
