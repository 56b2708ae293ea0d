"""Broken on purpose (step 3): 608 bytes of locals; a BPF frame has 512."""
from ebpfpy import bpf_program, struct, u64


@struct
class Big:
    a: u64[76]                  # 608 bytes


@bpf_program("syscall")
def big(ctx) -> int:            # expect: E240 11:1
    b = Big()
    b.a[0] = 1
    return 0
