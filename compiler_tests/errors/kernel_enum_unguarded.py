# expect: E277 15:37
from ebpfpy import Array, bpf_program, helpers, kernel_enum, u64


@kernel_enum
class bpf_func_id:
    BPF_FUNC_from_a_future_kernel = 999


out = Array(u64, 1)


@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(helpers.enum_value(bpf_func_id.BPF_FUNC_from_a_future_kernel))
    return 0
