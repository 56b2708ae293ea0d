# expect: E161 8:5
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
stacks = StackTraceMap(1024)

@bpf_program("perf_event")
def main(ctx) -> int:
    stacks.output(ctx, u32(1))
    return 0
