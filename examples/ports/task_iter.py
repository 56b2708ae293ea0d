"""task_iter: list every task with its state and kernel stack depth, through a BPF iterator.

Port of libbpf-bootstrap's examples/c/task_iter.bpf.c and task_iter.c
(github.com/libbpf/libbpf-bootstrap): an ``iter/task`` program fills a ``task_info`` in a
per-CPU array (pid, tid, state, comm, ``bpf_get_task_stack``) and ``seq_write``s it; userspace
reads the iterator record by record (optionally for one process: ``linfo.task.pid``, here
``attach(pid=...)``) and prints the same lines.  The state comes from the original's two
CO-RE flavours, ``task_struct___pre514.state`` where the running kernel has it (before Linux
5.14), else ``task_struct___post514.__state``.  Left out: nothing.

    sudo python examples/ports/task_iter.py [PID]
"""
from ebpfpy import (PerCpuArray, bpf_function, bpf_program, helpers, i32, i64, kernel_struct,
                    struct, u8, u32, u64)
from ebpfpy.kernel import task_struct

TASK_COMM_LEN = 16
MAX_STACK_LEN = 127


@struct
class TaskInfo:
    pid: i32
    tid: i32
    state: u32
    comm: u8[TASK_COMM_LEN]
    kstack_len: i32
    kstack: u64[MAX_STACK_LEN]


task_info_buf = PerCpuArray(TaskInfo, max_entries=1)


@kernel_struct
class task_struct___post514:
    __state: u32


@kernel_struct
class task_struct___pre514:
    state: i64


@bpf_function
def get_task_state(task: task_struct) -> u32:
    if helpers.field_exists(task_struct___pre514(task).state):
        return u32(task_struct___pre514(task).state)
    return task_struct___post514(task).__state


@bpf_program("iter/task")
def get_tasks(ctx) -> int:
    task = ctx.task
    if task is None:
        return 0
    t = task_info_buf.lookup(0)
    if t is None:
        return 0
    t.pid = task.tgid
    t.tid = task.pid
    t.state = get_task_state(task)
    t.comm = task.comm
    res = helpers.get_task_stack(task, t.kstack, 0)
    t.kstack_len = i32(res) if res <= 0 else i32(res // 8)
    helpers.seq_write(ctx.meta.seq, t)
    return 0


STATES = {0x0000: "RUNNING", 0x0001: "INTERRUPTIBLE", 0x0002: "UNINTERRUPTIBLE",
          0x0200: "WAKING", 0x0400: "NOLOAD", 0x0402: "IDLE", 0x0800: "NEW"}


def main(argv=None) -> None:
    import sys

    import ebpfpy
    from trace_helpers import text

    argv = sys.argv[1:] if argv is None else argv
    pid = int(argv[0]) if argv else 0
    with ebpfpy.load(__file__) as obj, obj.programs.get_tasks.attach(pid=pid) as it:
        raw = it.read_bytes()
    size = TaskInfo.__bpf_type__.size
    for off in range(0, len(raw) - size + 1, size):
        t = TaskInfo.__bpf_type__.unpack(raw[off:off + size])
        state = STATES.get(t.state, "<unknown>")
        if t.kstack_len <= 0:
            print(f"Error getting kernel stack for task. Task Info. Pid: {t.pid}. Process Name: "
                  f"{text(t.comm)}. Kernel Stack Error: {t.kstack_len}. State: {state}")
        else:
            print(f"Task Info. Pid: {t.pid}. Process Name: {text(t.comm)}. Kernel Stack Len: "
                  f"{t.kstack_len}. State: {state}")


if __name__ == "__main__":
    main()
