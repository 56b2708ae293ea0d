# expect: E060 11:15
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

import os

PID_FILTER = os.getpid()

@bpf_program("syscall")
def main(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    if pid == PID_FILTER:
        return 1
    return 0
