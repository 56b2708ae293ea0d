# expect: E176 5:13
from ebpfpy import bpf_program, u64
@bpf_program("tracepoint/syscalls/sys_enter_getpid")
def p(ctx) -> int:
    x = u64(ctx)
    return 0
