"""Conway's Game of Life on a 64×64 torus, one generation per ``test_run`` of a syscall program.

    python examples/gol_step.py [GENERATIONS] [SEED]

The two boards live in one ``Array`` map (a double buffer): generation ``g`` is in slot
``g % 2`` and the program writes ``g + 1`` into the other slot.  Userspace seeds slot 0 with
random cells and a glider, steps the kernel, and after every generation compares the kernel's
board cell for cell with a NumPy reference.
"""
from ebpfpy import bpf_program, struct, Array, u8, u32

W = 64
H = 64


@struct
class Board:
    cells: u8[H][W]         # cells[y][x], 1 = alive


boards = Array(Board, 2)    # the double buffer
generation: u32 = 0         # the generation in boards[generation % 2]


@bpf_program("syscall")
def step(ctx) -> int:
    global generation
    cur = generation & 1
    src = boards.lookup(cur)
    dst = boards.lookup(cur ^ 1)
    if src is None or dst is None:
        return 1
    for y in range(H):
        up = (y + H - 1) & (H - 1)          # torus wrap: H and W are powers of two,
        down = (y + 1) & (H - 1)            # so a mask replaces the modulo
        for x in range(W):
            left = (x + W - 1) & (W - 1)
            right = (x + 1) & (W - 1)
            n = (src.cells[up][left] + src.cells[up][x] + src.cells[up][right]
                 + src.cells[y][left] + src.cells[y][right]
                 + src.cells[down][left] + src.cells[down][x] + src.cells[down][right])
            # branch-free rule: born with 3 neighbours, survives with 2 or 3
            dst.cells[y][x] = u8(n == 3) | (u8(n == 2) & src.cells[y][x])
    generation += 1
    return 0


GLIDER = [(0, 1), (1, 2), (2, 0), (2, 1), (2, 2)]      # (y, x) offsets


def seed_board(rng, density: float = 0.3):
    """A random board (NumPy ``uint8[H, W]``) with a glider stamped in its top-left corner."""
    import numpy as np
    board = (rng.random((H, W)) < density).astype(np.uint8)
    board[0:5, 0:5] = 0
    for dy, dx in GLIDER:
        board[1 + dy, 1 + dx] = 1
    return board


def reference_step(board):
    """One generation of the NumPy reference on a torus."""
    import numpy as np
    n = sum(np.roll(np.roll(board, dy, 0), dx, 1)
            for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((n == 3) | ((n == 2) & (board == 1))).astype(np.uint8)


def kernel_board(obj):
    """The kernel's current board as NumPy ``uint8[H, W]``."""
    import numpy as np
    g = obj.globals.generation
    return np.array(obj.maps.boards[g % 2].cells, dtype=np.uint8)


def run(obj, generations: int, seed: int = 1, report=None) -> int:
    """Seed, step ``generations`` times checking each against NumPy; the generations that matched."""
    import numpy as np
    board = seed_board(np.random.default_rng(seed))
    obj.maps.boards[0] = obj.structs.Board(cells=board.tolist())
    obj.globals.generation = 0
    for g in range(1, generations + 1):
        r = obj.programs.step.test_run()
        if r.retval != 0:
            raise RuntimeError(f"step returned {r.retval}")
        board = reference_step(board)
        got = kernel_board(obj)
        if obj.globals.generation != g or not np.array_equal(got, board):
            diff = np.argwhere(got != board)
            raise AssertionError(f"generation {g}: {len(diff)} cells differ, first at "
                                 f"(y, x) = {tuple(diff[0]) if len(diff) else None}")
        if report:
            report(g, int(board.sum()))
    return generations


if __name__ == "__main__":
    import sys

    import ebpfpy

    gens = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with ebpfpy.load(__file__) as obj:
        run(obj, gens, seed, report=lambda g, alive: print(f"generation {g:3}: {alive:4} alive  OK"))
    print(f"{gens} generations match the NumPy reference")
