# expect: E001 6:23
from ebpfpy import bpf_program

@bpf_program("syscall")
def main(ctx) -> int:
    helpers.printk("naïve %d\n", 1)
    return 0
