# expect: E275 6:7
from ebpfpy import bpf_program, i64, kernel_struct


@kernel_struct
class task_struct_pre514:
    state: i64


@bpf_program("syscall")
def main(ctx) -> int:
    return 0
