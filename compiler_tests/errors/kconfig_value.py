# expect: E273 5:27
from ebpfpy import Array, Kconfig, bpf_program, u32, u64

out = Array(u64, 1)
CONFIG_HZ: Kconfig[u32] = 1000       # libbpf sets it at load


@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(CONFIG_HZ)
    return 0
