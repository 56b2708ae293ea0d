# expect: E269 9:15
from ebpfpy import bpf_program, helpers, HashMap, u32, u64

seen = HashMap(u32, u64, 16)

@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    task = helpers.get_current_task_btf()
    seen[0] = u32(task)        # an address is 64 bits: u64(task)
    return 0
