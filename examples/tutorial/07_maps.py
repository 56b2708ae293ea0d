"""Step 7: maps as memory — shared, zero-copy, between the kernel and userspace.

    python examples/tutorial/07_maps.py

A BPF program keeps no state between runs: what lasts lives in maps.  An ``mmapable`` array
is plain memory that userspace maps into its own address space: ``view()`` is a NumPy array
over the very bytes the kernel writes, with no copy and no system call per access.  Globals
(``calls``) are maps too: ``obj.globals.calls``.
"""
from ebpfpy import bpf_program, struct, Array, u8, u32, u64

W = 64
H = 16

canvas = Array(u8[W], H, mmapable=True)     # H rows of W bytes; userspace: view() (H, W)
calls: u64 = 0


@struct
class Frame:
    t: u32            # in: the frame number
    lit: u32          # out: cells set


@bpf_program("syscall")
def draw(ctx: Frame) -> int:
    """Draw a moving diagonal pattern; count the lit cells."""
    global calls
    lit: u32 = 0
    for y in range(H):
        row = canvas.lookup(y)
        if row is None:
            return 1
        for x in range(W):
            on = u8(((x + ctx.t) ^ u32(y * 3)) % 7 == 0)
            row[x] = on
            lit += on
    ctx.lit = lit
    calls += 1
    return 0


if __name__ == "__main__":
    import ebpfpy

    with ebpfpy.load(__file__) as obj:
        view = obj.maps.canvas.view()                 # zero-copy: shape (16, 64), uint8
        r = obj.programs.draw.test_run(ctx=Frame(t=0))
        print(f"the kernel lit {Frame.from_bytes(r.ctx).lit} cells; userspace sees "
              f"{int(view.sum())} in the same memory")
        for row in view[:6]:
            print("".join("#" if c else "." for c in row))
        view[:] = 0                                   # userspace writes, the kernel reads
        print(f"after view[:] = 0 the map holds {sum(map(sum, obj.maps.canvas.values()))} lit "
              f"cells; draw ran {obj.globals.calls} time(s)")
        del view                                      # the mapping keeps the map alive
