# expect: E182 4:36
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
stacks = StackTraceMap(1024, depth=200)

@bpf_program("perf_event")
def main(ctx) -> int:
    return 0
