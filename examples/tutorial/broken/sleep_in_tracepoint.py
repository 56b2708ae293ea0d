"""Broken on purpose (step 11): a tracepoint program may not sleep, so it cannot copy_from_user."""
from ebpfpy import bpf_program, Array, helpers, u8, i64

results = Array(i64, 1)


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def read_path(ctx) -> int:
    name = u8[16]()
    results[0] = helpers.copy_from_user(name, ctx.filename)     # expect: E280 10:18
    return 0
