"""Step 6: an iterator — a program the kernel runs once per task, on demand, writing text.

    python examples/tutorial/06_iterator.py

An ``iter/task`` program is called for every task on the system each time userspace reads
the iterator; ``helpers.seq_printf`` writes the text that ``read()`` returns.  Like a timer,
this is a way to do an unbounded amount of work with programs that each end quickly.
"""
from ebpfpy import bpf_program, helpers


@bpf_program("iter/task")
def tasks(ctx) -> int:
    t = ctx.task
    if t is None:          # the last call of a pass has no task
        return 0
    if t.pid == t.tgid:    # one line per process, not per thread
        helpers.seq_printf(ctx.meta.seq, "%7d %s\n", t.pid, t.comm)
    return 0


if __name__ == "__main__":
    import os

    import ebpfpy

    with ebpfpy.load(__file__) as obj, obj.programs.tasks.attach() as it:
        lines = it.read().splitlines()
    print(f"{len(lines)} processes; the first three and this one:")
    me = [ln for ln in lines if ln.split()[0] == str(os.getpid())]
    for ln in lines[:3] + me:
        print(ln)
