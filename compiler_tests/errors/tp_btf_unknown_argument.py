# expect: E268 9:18
from ebpfpy import bpf_program, Array, u32

out = Array(u32, 1)

@bpf_program("tp_btf/sched_wakeup")
def on_wakeup(ctx) -> int:
    # the argument is 'p' (TP_PROTO of the sched_wakeup_template class), not 'task'
    out[0] = u32(ctx.task.pid)
    return 0
