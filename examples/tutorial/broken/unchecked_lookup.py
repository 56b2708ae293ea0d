"""Broken on purpose (step 2): a lookup result used without a check."""
from ebpfpy import bpf_program, helpers, HashMap, u32, u64

counts = HashMap(u32, u64, max_entries=1024)


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def count(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    r = counts.lookup(pid)
    r.value += 1          # expect: E070 11:5
    return 0
