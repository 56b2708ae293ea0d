# expect: E277 16:18
from ebpfpy import Array, bpf_program, helpers, i64, kernel_struct, u64


@kernel_struct
class task_struct___pre514:
    state: i64              # Linux 5.14 renamed it __state


out = Array(u64, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    t = task_struct___pre514(helpers.get_current_task_btf())
    out[0] = u64(t.state)
    return 0
