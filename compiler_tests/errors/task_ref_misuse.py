# expect: E279 16:22
# expect: E279 17:26
# expect: E265 18:38
from ebpfpy import Array, bpf_program, helpers, u32, u64

target: u32 = 0
out = Array(u64, 2)


@bpf_program("syscall")
def main(ctx) -> int:
    t = helpers.task_from_pid(target)
    if t is None:
        return 0
    helpers.task_release(t)
    out[0] = u64(u32(t.pid))                       # the task was given back
    helpers.task_release(helpers.get_current_task_btf())
    out[1] = u64(helpers.ksym_exists(target))
    return 0
