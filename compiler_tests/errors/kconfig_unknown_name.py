# expect: E271 5:1
from ebpfpy import Array, Kconfig, bpf_program, u32, u64

out = Array(u64, 1)
KERNEL_VERSION: Kconfig[u32]          # libbpf's name is LINUX_KERNEL_VERSION


@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(KERNEL_VERSION)
    return 0
