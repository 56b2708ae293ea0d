# expect: E193 8:48
from ebpfpy import bpf_program, helpers, u8


@bpf_program("syscall")
def main(ctx) -> int:
    buf = u8[64]()
    return helpers.probe_read_user_str(buf[0:8:2], 0)
