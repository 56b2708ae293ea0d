# expect: E281 8:5
from ebpfpy import bpf_program, ProgArray

progs = ProgArray(2)

@bpf_program("uprobe.s//bin/true:main")
def main(ctx) -> int:
    progs.tail_call(ctx, 0)
    return 0
