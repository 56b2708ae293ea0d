# expect: E279 10:9
from ebpfpy import Array, bpf_program, helpers, u32, u64

target: u32 = 0
out = Array(u64, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    t = helpers.task_from_pid(target)
    if t is None:
        return 0
    if t.tgid > 100:
        return 1                     # leaves holding the task
    out[0] = u64(u32(t.tgid))
    helpers.task_release(t)
    return 0
