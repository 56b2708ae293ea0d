"""Step 2, the mistake: using a lookup result without checking it (a compile error, E070).

    ebpfpy check examples/tutorial/02_unchecked.py
"""
from ebpfpy import bpf_program, helpers, HashMap, u32, u64

counts = HashMap(u32, u64, max_entries=1024)


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def count(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    r = counts.lookup(pid)
    r.value += 1                  # r may be None: no check above
    return 0
