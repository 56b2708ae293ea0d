# expect: E276 9:10
# expect: E276 10:11
# expect: E031 10:17
from ebpfpy import bpf_program, i64, kernel_struct, u16, u32


@kernel_struct
class task_struct___mine:
    pid: u16                 # an i32 (pid_t) in the kernel
    tgid: u32 = 0            # no values in a flavour


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
