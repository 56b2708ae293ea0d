# expect: E272 6:31
# expect: E272 7:31
from ebpfpy import Array, Kconfig, bpf_program, u16, u32, u64

out = Array(u64, 1)
LINUX_HAS_BPF_COOKIE: Kconfig[u32]  # a bool
LINUX_KERNEL_VERSION: Kconfig[u16]  # 6.18.44 is 0x06122c: 24 bits


@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(LINUX_KERNEL_VERSION)
    return 0
