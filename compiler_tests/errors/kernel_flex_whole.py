# expect: E365 8:19
from ebpfpy import bpf_program, helpers, u64


@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    cg = helpers.get_current_task_btf().cgroups.dfl_cgrp
    all_of_them = cg.ancestors
    return 0
