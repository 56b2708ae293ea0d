# expect: E184 7:28
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
@bpf_program("perf_event")
def main(ctx) -> int:
    buf = u32[16]()
    helpers.get_stack(ctx, buf, 0)
    return 0
