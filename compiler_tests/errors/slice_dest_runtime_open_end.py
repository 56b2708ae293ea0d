# expect: E193 9:44
from ebpfpy import bpf_program, helpers, u8, u32


@bpf_program("syscall")
def main(ctx) -> int:
    buf = u8[64]()
    off = u32(helpers.get_prandom_u32() & 31)
    return helpers.probe_read_user_str(buf[off:], 0)
