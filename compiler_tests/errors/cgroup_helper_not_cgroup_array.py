# expect: E186 7:42
from ebpfpy import bpf_program, CgroupArray, HashMap, u32, helpers
counts = HashMap(u32, u32, max_entries=4)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    if helpers.current_task_under_cgroup(counts, 0) == 1:
        return 1
    return 0
