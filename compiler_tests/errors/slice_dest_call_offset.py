# expect: E193 8:40
from ebpfpy import bpf_program, helpers, u8


@bpf_program("syscall")
def main(ctx) -> int:
    buf = u8[64]()
    return helpers.probe_read_user(buf[helpers.get_prandom_u32() & 7:(helpers.get_prandom_u32() & 7) + 8], 0)
