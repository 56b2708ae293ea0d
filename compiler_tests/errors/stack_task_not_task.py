# expect: E185 7:28
from ebpfpy import bpf_program, struct, StackTraceMap, u32, u64, helpers
from ebpfpy.kernel import task_struct  # noqa: F401
@bpf_program("perf_event")
def main(ctx) -> int:
    buf = u64[16]()
    helpers.get_task_stack(u64(0), buf, 0)
    return 0
