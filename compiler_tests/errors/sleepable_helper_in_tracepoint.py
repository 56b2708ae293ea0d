# expect: E280 8:5
from ebpfpy import bpf_program, helpers, u8

@bpf_program("tracepoint/syscalls/sys_enter_openat")
def main(ctx) -> int:
    buf = u8[16]()
    addr = ctx.filename
    helpers.copy_from_user(buf, addr)
    return 0
