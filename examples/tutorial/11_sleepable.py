"""Step 11: programs that may sleep.

    python examples/tutorial/11_sleepable.py

A BPF program normally runs where it must not sleep (with preemption or RCU held), so it reads
user memory with ``helpers.probe_read_user``, which fails with -EFAULT when the page is not
resident: it cannot wait for the page fault.  A *sleepable* program (``syscall``,
``uprobe.s/``, ``iter.s/``, ...: the kernel loads it with ``BPF_F_SLEEPABLE``) may call
``helpers.copy_from_user``, which faults the page in.  Here a ``syscall`` program, run in this
process by ``test_run``, reads a page of a file that this process has mapped but never
touched: ``probe_read_user`` fails, ``copy_from_user`` reads it, and after that fault the page
is resident and ``probe_read_user`` reads it too.
"""
from ebpfpy import bpf_program, struct, helpers, u8, u64, i64


@struct
class Peek:
    addr: u64             # in: a user address in the calling process
    before: i64           # probe_read_user before the page is resident
    copied: i64           # copy_from_user (may sleep: faults the page in)
    after: i64            # probe_read_user again
    first: u64            # the first byte copy_from_user read


@bpf_program("syscall")
def peek(ctx: Peek) -> int:
    a = u8[8]()
    ctx.before = helpers.probe_read_user(a, ctx.addr)
    b = u8[8]()
    ctx.copied = helpers.copy_from_user(b, ctx.addr)
    c = u8[8]()
    ctx.after = helpers.probe_read_user(c, ctx.addr)
    ctx.first = u64(b[0])
    return 0


if __name__ == "__main__":
    import ctypes
    import mmap
    import tempfile

    import ebpfpy

    with tempfile.TemporaryFile() as f, ebpfpy.load(__file__) as obj:
        f.write(b"sleepy" + bytes(4090))
        f.flush()
        page = mmap.mmap(f.fileno(), 4096, flags=mmap.MAP_PRIVATE)   # mapped, never touched
        view = ctypes.c_char.from_buffer(page)                       # takes the address only
        addr = ctypes.addressof(view)
        Peek = obj.structs.Peek
        r = Peek.from_bytes(obj.programs.peek.test_run(ctx=Peek(addr=addr)).ctx)
        print(f"section {obj.programs.peek.section!r}, sleepable: a page mapped but not resident")
        print(f"probe_read_user before: {r.before}")
        print(f"copy_from_user:         {r.copied}, first byte {chr(r.first)!r}")
        print(f"probe_read_user after:  {r.after}")
        del view
        page.close()
