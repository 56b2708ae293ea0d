# expect: E278 17:18
# expect: E278 18:37
# expect: E278 19:37
from ebpfpy import Array, bpf_program, helpers, kernel_enum, u64


@kernel_enum
class pid_type:
    PIDTYPE_TGID = 1


out = Array(u64, 3)


@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(pid_type.PIDTYPE_TGID)                  # the value libbpf gives is a call
    out[1] = u64(helpers.enum_value(pid_type.PIDTYPE_SID))
    out[2] = u64(helpers.enum_value(out))
    return 0
