# expect: E366 10:27
from ebpfpy import Array, bpf_program, helpers, u64

ids = Array(u64, 1)


@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    cg = helpers.get_current_task_btf().cgroups.dfl_cgrp
    ids[0] = cg.ancestors[cg.level].kn.id
    return 0
