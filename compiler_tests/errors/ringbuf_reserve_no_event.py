# expect: E075 8:11
from ebpfpy import bpf_program, RingBuf

raw = RingBuf(4096)

@bpf_program("syscall")
def main(ctx) -> int:
    rec = raw.reserve()
    return 0
