# expect: E274 11:5
from ebpfpy import Array, Kconfig, bpf_program, u32, u64

out = Array(u64, 1)
CONFIG_HZ: Kconfig[u32]


@bpf_program("syscall")
def main(ctx) -> int:
    global CONFIG_HZ
    CONFIG_HZ = 100
    out[0] = u64(CONFIG_HZ)
    return 0
