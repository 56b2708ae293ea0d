# expect: E133 7:5
from ebpfpy import bpf_program, CgroupArray, HashMap, u32, helpers
cg = CgroupArray(1)

@bpf_program("tracepoint/syscalls/sys_enter_getppid")
def main(ctx) -> int:
    cg[0] = u32(3)
    return 0
