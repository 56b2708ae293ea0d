# expect: E183 9:24
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
stacks = StackTraceMap(1024)

@bpf_program("perf_event")
def main(ctx) -> int:
    x = u64(0)
    stacks.get_stackid(x, 0)
    return 0
