# expect: E270 11:42
from ebpfpy import Array, bpf_program, helpers, u8

names = Array(u8[64], 1)


@bpf_program("tracepoint/sched/sched_process_exec")
def on_exec(ctx) -> int:
    # ctx.filename is a __data_loc string: kernel memory (the tracepoint record)
    buf = u8[64]()
    n = helpers.probe_read_user_str(buf, ctx.filename)
    names[0] = buf
    return 0
