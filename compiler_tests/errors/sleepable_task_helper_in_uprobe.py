# expect: E280 7:5
from ebpfpy import bpf_program, helpers, u8

@bpf_program("uprobe//bin/true:main")
def main(ctx) -> int:
    buf = u8[8]()
    helpers.copy_from_user_task(buf, ctx.si, helpers.get_current_task_btf())
    return 0
