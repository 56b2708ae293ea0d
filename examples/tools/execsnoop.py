"""execsnoop: one line per exec() — pid, parent pid, uid, command name and file executed.

A port of BCC's / libbpf-tools' execsnoop.  The program attaches to the BTF tracepoint
``sched_process_exec``, whose arguments arrive typed from the kernel's BTF: ``ctx.p`` is the
``task_struct`` that exec'd and ``ctx.bprm`` its ``linux_binprm``; their fields read with
CO-RE relocations.  The filename is copied with ``probe_read_kernel_str``.

    sudo ebpfpy run examples/tools/execsnoop.py          # records as they happen
    sudo python examples/tools/execsnoop.py              # a table, like the original
"""
from ebpfpy import RingBuf, bpf_program, helpers, struct, u8, u32
from ebpfpy.kernel import linux_binprm, task_struct  # noqa: F401  (the kernel types read below)

FILENAME_LEN = 128


@struct
class Exec:
    pid: u32
    ppid: u32
    uid: u32
    comm: u8[16]
    filename: u8[FILENAME_LEN]


events = RingBuf(1 << 18, event=Exec)


@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    e = Exec()
    e.pid = u32(ctx.p.tgid)
    e.ppid = u32(ctx.p.real_parent.tgid)
    e.uid = u32(helpers.get_current_uid_gid())
    e.comm = ctx.p.comm
    helpers.probe_read_kernel_str(e.filename, ctx.bprm.filename)
    events.output(e)
    return 0


def text(a) -> str:
    """A NUL-terminated byte array as text."""
    return bytes(a).split(b"\0", 1)[0].decode("utf-8", "replace")


if __name__ == "__main__":
    import ebpfpy
    with ebpfpy.load(__file__) as obj, obj.programs.on_exec.attach():
        print(f"{'PID':>7} {'PPID':>7} {'UID':>5} {'COMM':16} FILENAME", flush=True)
        try:
            while True:
                for ev in obj.maps.events.poll(timeout=1.0):
                    print(f"{ev.pid:>7} {ev.ppid:>7} {ev.uid:>5} {text(ev.comm):16} "
                          f"{text(ev.filename)}", flush=True)
        except KeyboardInterrupt:
            pass
