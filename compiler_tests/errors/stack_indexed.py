# expect: E133 8:9
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
stacks = StackTraceMap(1024)

@bpf_program("perf_event")
def main(ctx) -> int:
    x = stacks[0]
    return 0
