# expect: E168 7:31
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@bpf_program("syscall")
def main(ctx) -> int:
    pid = helpers.get_current_pid_tgid()
    helpers.printk("comm %s", pid)
    return 0
