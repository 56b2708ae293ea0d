"""One Game of Life generation on a 1024x1024 torus in a single program run.

A million cells: walked cell by cell the verifier would need ~70 million steps.  The row
loop is outlined into a bpf_loop callback and the comparisons are branch-free, so the
verifier walks one row (about 70,000 steps) and the program runs every row.
"""
from ebpfpy import bpf_program, struct, Array, u8, u32

N = 1024
boards = Array(u8[N][N], 2)


@struct
class Gen:
    src: u32


@bpf_program("syscall")
def main(ctx: Gen) -> int:
    s = boards.lookup(ctx.src & 1)
    d = boards.lookup((ctx.src + 1) & 1)
    if s is None or d is None:
        return 1
    for y in range(N):
        up = (y + N - 1) % N
        down = (y + 1) % N
        for x in range(N):
            left = (x + N - 1) % N
            right = (x + 1) % N
            n = (s[up][left] + s[up][x] + s[up][right] + s[y][left] + s[y][right] +
                 s[down][left] + s[down][x] + s[down][right])
            d[y][x] = u8(n == 3) | (u8(n == 2) & s[y][x])
    return 0


def reference(board):
    """The next generation, computed by NumPy."""
    import numpy as np
    n = sum(np.roll(np.roll(board, dy, 0), dx, 1)
            for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((n == 3) | ((n == 2) & (board == 1))).astype(np.uint8)


if __name__ == "__main__":
    import numpy as np
    import ebpfpy
    with ebpfpy.load(__file__) as obj:
        board = (np.random.default_rng(1).random((N, N)) < 0.35).astype(np.uint8)
        obj.maps.boards[0] = board.tolist()
        obj.programs.main.test_run(ctx=Gen(src=0))
        ok = (np.array(obj.maps.boards[1], dtype=np.uint8) == reference(board)).all()
        print("OK" if ok else "MISMATCH")
