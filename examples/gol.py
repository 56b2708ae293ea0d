"""Conway's Game of Life, computed in the kernel forever by a self re-arming BPF timer.

    python examples/gol.py [--size WxH] [--pattern random|glider|gosper|FILE.rle]
                           [--period MS] [--seed N] [--duration S] [--check N]
    python examples/gol.py --detach [...]    # start it and exit: it keeps running
    python examples/gol.py --attach          # watch the detached game (Ctrl-C: stop watching)
    python examples/gol.py --stop            # end it

BPF programs must end, so "forever" is a timer callback that computes a band of rows of the
next generation and re-arms its own timer: each callback stays under about a millisecond,
however big the board.  The board lives in an ``mmapable`` array (two buffers: row ``r`` of
buffer ``k`` is element ``k * MAXH + r``), which userspace reads zero-copy through
``obj.maps.board.view()`` to draw it in the terminal, two cells per character.

One compiled object serves every size: ``width`` and ``height`` are globals set from userspace
before the timer starts.  The board is a torus.  ``--check N`` stops the timer after ``N``
generations and compares the kernel's board cell for cell with a NumPy reference.

``--detach`` pins the maps in bpffs (``--pin-dir``, default ``/sys/fs/bpf/ebpfpy_gol``) and
exits: the pinned ``state`` map keeps its timer armed, the timer keeps the callback's program,
the program keeps the board, so the game goes on with no process left.  ``--attach`` loads the
object again with the same pin directory, which reuses the pinned maps instead of creating new
ones, and draws the running board.  ``--stop`` removes the pins: with the last reference to
``state`` gone, the kernel cancels the timer and frees the programs and maps.
"""
import os

from ebpfpy import bpf_program, bpf_function, struct, Array, Timer, u8, u32, u64

MAXW = 4096                 # widest board
MAXH = 4096                 # tallest board
MASK = MAXW - 1             # MAXW is a power of two: `& MASK` keeps indices provably in range
BAND_CELLS = 250_000        # cells per callback, about 1 ms of work
CHUNK = 512                 # cells per inner loop: about 20k instructions for the verifier
MAXBAND = 1 << 20           # cap on rows per callback (tiny boards: many generations per callback)

board = Array(u8[MAXW], 2 * MAXH, mmapable=True)   # 2 x 4096 rows of 4096 cells (32 MiB)


@struct
class State:
    timer: Timer
    generation: u64         # generations completed; the board is in buffer generation % 2
    row: u32                # next row of generation + 1 to compute
    band: u32               # rows per callback
    limit: u64              # stop after this generation (0: never)
    period_ns: u64          # pause between generations (0: none)
    stopped: u32            # 1 once the limit is reached


state = Array(State, 1)     # the timer lives in a map value, as the kernel requires
width: u32 = 0              # set from userspace before `start`
height: u32 = 0


@bpf_function
def step_row(y: u32, cur: u32) -> int:
    """Row ``y`` of the next generation, from buffer ``cur`` into buffer ``cur ^ 1``."""
    w = min(width, MAXW)
    h = min(height, MAXH)
    up = (y - 1 if y > 0 else h - 1) & MASK
    down = (y + 1 if y + 1 < h else 0) & MASK
    src = cur * MAXH
    a = board.lookup(src + up)
    b = board.lookup(src + y)
    c = board.lookup(src + down)
    d = board.lookup((cur ^ 1) * MAXH + y)
    if a is None or b is None or c is None or d is None:
        return 1
    if w < MAXW:            # ghost column: column w repeats column 0, so x + 1 never wraps
        a[w & MASK] = a[0]
        b[w & MASK] = b[0]
        c[w & MASK] = c[0]
    # Sliding window of column sums: three loads per cell instead of eight.  The row goes in
    # chunks of CHUNK cells: a loop of 4,096 would be costly for the verifier to walk, so
    # the compiler would move its body into a bpf_loop callback, one call per cell.  The
    # chunk loop itself becomes a bpf_loop callback (one call per chunk): the inner loop
    # may stop at any cell, and each of those exits would walk the next chunk again.
    for k in range(MAXW // CHUNK):
        base = u32(k * CHUNK)
        if base >= w:
            break
        xl = (base - 1 if base > 0 else w - 1) & MASK
        lcol = a[xl] + b[xl] + c[xl]
        mcol = a[base & MASK] + b[base & MASK] + c[base & MASK]
        me = b[base & MASK]
        for i in range(min(w - base, CHUNK)):
            x = (base + i) & MASK
            xr = (x + 1) & MASK
            rme = b[xr]
            rcol = a[xr] + rme + c[xr]
            n = lcol + mcol + rcol - me            # the 8 neighbours
            d[x] = u8(n == 3) | (u8(n == 2) & me)  # born with 3, survives with 2 or 3; no jumps
            lcol = mcol
            mcol = rcol
            me = rme
    return 0


@bpf_function
def tick(m, key: u32, s: State) -> int:
    """The timer callback: a band of rows, then re-arm (unless the limit is reached)."""
    h = min(height, MAXH)
    if h == 0 or width == 0:
        return 0
    for i in range(min(s.band, MAXBAND)):
        step_row(s.row & MASK, u32(s.generation & 1))
        s.row += 1
        if s.row >= h:
            s.row = 0
            s.generation += 1
            if s.generation == s.limit or s.period_ns != 0:
                break
    if s.limit != 0 and s.generation >= s.limit:
        s.stopped = 1
        return 0            # not re-armed: the timer stops here
    if s.row == 0 and s.period_ns != 0:
        s.timer.start(s.period_ns)
    else:
        s.timer.start(0)    # again, as soon as possible
    return 0


@bpf_program("syscall")
def start(ctx) -> int:
    """Run once from userspace (``test_run``): arm the timer; the callbacks do the rest."""
    s = state.lookup(0)
    if s is None:
        return 1
    s.timer.init(state)
    s.timer.set_callback(tick)
    s.timer.start(0)
    return 0


# ------------------------------------------------------------------------------ userspace
GOSPER_RLE = """#N Gosper glider gun
x = 36, y = 9, rule = B3/S23
24bo$22bobo$12b2o6b2o12b2o$11bo3bo4b2o12b2o$2o8bo5bo3b2o$2o8bo3bob2o4bobo$
10bo5bo7bo$11bo3bo$12b2o!
"""
GLIDER_RLE = "x = 3, y = 3\nbo$2bo$3o!\n"


def parse_rle(text: str):
    """A NumPy ``uint8[rows, cols]`` pattern from Run Length Encoded text (the Life wiki's format)."""
    import numpy as np
    body, cols = [], 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("x"):
            cols = int(line.split(",")[0].split("=")[1])
            continue
        body.append(line)
    rows: list[list[int]] = [[]]
    count = ""
    for ch in "".join(body):
        if ch.isdigit():
            count += ch
            continue
        n = int(count or 1)
        count = ""
        if ch == "!":
            break
        if ch == "$":
            rows.extend([] for _ in range(n))
        elif ch in "bo" or ch.isalpha():
            rows[-1].extend([0 if ch == "b" else 1] * n)
    cols = max([cols, *map(len, rows)])
    out = np.zeros((len(rows), cols), dtype=np.uint8)
    for r, cells in enumerate(rows):
        out[r, :len(cells)] = cells
    return out


def initial_board(pattern: str, w: int, h: int, seed: int):
    """The generation-0 board (``uint8[h, w]``): random cells, or a pattern near the top left."""
    import numpy as np
    if pattern == "random":
        return (np.random.default_rng(seed).random((h, w)) < 0.3).astype(np.uint8)
    if pattern in ("glider", "gosper"):
        cells = parse_rle(GLIDER_RLE if pattern == "glider" else GOSPER_RLE)
    else:
        try:
            with open(pattern) as f:
                cells = parse_rle(f.read())
        except OSError as e:
            raise SystemExit(f"gol.py: --pattern {pattern}: not random, glider or gosper, and "
                             f"not a readable RLE file ({e.strerror})")
        except (ValueError, IndexError):
            raise SystemExit(f"gol.py: --pattern {pattern}: not a Run Length Encoded pattern")
        if cells.size == 0 or not cells.any():
            raise SystemExit(f"gol.py: --pattern {pattern}: the pattern has no live cell")
    ph, pw = cells.shape
    if ph + 2 > h or pw + 2 > w:
        raise SystemExit(f"gol.py: the pattern is {pw}x{ph}; the board needs at least "
                         f"{pw + 2}x{ph + 2}")
    out = np.zeros((h, w), dtype=np.uint8)
    out[1:1 + ph, 1:1 + pw] = cells
    return out


def reference(b, generations: int):
    """``generations`` steps of the NumPy reference on a torus."""
    import numpy as np
    for _ in range(generations):
        n = sum(np.roll(np.roll(b, dy, 0), dx, 1)
                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
        b = ((n == 3) | ((n == 2) & (b == 1))).astype(np.uint8)
    return b


class Life:
    """A loaded object with a board set up: ``run()`` starts the kernel, ``current()`` reads it."""

    def __init__(self, obj, cells, limit: int = 0, period_ms: float = 0) -> None:
        self.obj = obj
        self.h, self.w = cells.shape
        self.view = obj.maps.board.view()           # (2 * MAXH, MAXW) uint8, zero-copy
        self.view[:self.h, :self.w] = cells
        obj.globals.width = self.w
        obj.globals.height = self.h
        # Written before `start`: writing the element later would free the running timer.
        obj.maps.state[0] = obj.structs.State(band=min(max(1, BAND_CELLS // self.w), MAXBAND),
                                              limit=limit, period_ns=int(period_ms * 1e6))

    @classmethod
    def attached(cls, obj) -> "Life":
        """A view of the game already running in ``obj``'s (reused, pinned) maps."""
        life = cls.__new__(cls)
        life.obj = obj
        life.w, life.h = int(obj.globals.width), int(obj.globals.height)
        life.view = obj.maps.board.view()
        return life

    def run(self) -> None:
        r = self.obj.programs.start.test_run()
        if r.retval != 0:
            raise RuntimeError(f"start returned {r.retval}")

    def status(self):
        s = self.obj.maps.state[0]
        return s.generation, bool(s.stopped)

    def current(self, generation: int):
        k = generation & 1
        return self.view[k * MAXH:k * MAXH + self.h, :self.w]

    def close(self) -> None:
        self.view = None        # the mapping holds the map (and its timer) alive: drop it first


HALF = " ▄▀█"     # index: 2 * top + bottom


def render(cells, cols: int, rows: int) -> list[str]:
    """The top-left ``cols`` x ``2 * rows`` cells as half-block lines."""
    import numpy as np
    part = cells[:2 * rows, :cols]
    if part.shape[0] % 2:
        part = np.vstack([part, np.zeros((1, part.shape[1]), dtype=part.dtype)])
    idx = 2 * (part[0::2] != 0) + (part[1::2] != 0)
    table = np.array(list(HALF))
    return ["".join(line) for line in table[idx]]


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived: leave like Ctrl-C, restoring the terminal first."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame) -> None:
    raise Stopped(signum)


def live(life: Life, duration: float | None, out, detached: bool = False) -> int:
    """Draw the board until Ctrl-C, SIGTERM or SIGHUP (or ``duration`` seconds); then print
    generations and cells per second.  Exit status 0, or 128 + the signal's number.
    ``detached``: the game was running before and goes on after (``--attach``)."""
    import shutil
    import signal
    import time
    tty = out.isatty()
    status = 0
    # `kill` and `timeout` send SIGTERM, a closed terminal SIGHUP: without a handler either
    # ends the process at once, leaving the terminal in the alternate screen, cursor hidden.
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    g0, _ = life.status()
    if tty:
        out.write("\x1b[?1049h\x1b[?25l")      # alternate screen, hide the cursor
    start = time.monotonic()
    last_t, last_g = start, g0
    rate = 0.0
    try:
        while duration is None or time.monotonic() - start < duration:
            g, _ = life.status()
            now = time.monotonic()
            if now - last_t >= 0.5:
                rate = (g - last_g) / (now - last_t)
                last_t, last_g = now, g
            line = (f"generation {g}  {rate:,.0f} gen/s  {rate * life.w * life.h / 1e6:,.1f} "
                    f"Mcells/s  board {life.w}x{life.h}  (Ctrl-C quits)")
            if tty:
                size = shutil.get_terminal_size()
                rows = max(1, size.lines - 1)
                lines = render(life.current(g), size.columns, rows)
                out.write("\x1b[H" + line[:size.columns] + "\x1b[K\n"
                          + "\x1b[K\n".join(lines) + "\x1b[J")
            else:
                out.write(line + "\n")
            out.flush()
            time.sleep(1 / 30 if tty else 0.5)
    except KeyboardInterrupt:
        pass
    except Stopped as e:
        status = 128 + e.signum
    finally:
        if tty:
            out.write("\x1b[?25h\x1b[?1049l")
            out.flush()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    g, _ = life.status()
    elapsed = time.monotonic() - start
    rate = (f"{(g - g0) / elapsed:,.0f} gen/s, "
            f"{(g - g0) * life.w * life.h / elapsed / 1e6:,.1f} Mcells/s")
    if detached:
        print(f"watched generations {g0} to {g} in {elapsed:.1f} s ({rate}); "
              "the game goes on in the kernel")
    else:
        print(f"stopped at generation {g} after {elapsed:.1f} s ({rate})")
    return status


def check(life: Life, cells, generations: int, show: bool = False) -> int:
    """Wait for the kernel to stop at ``generations``, then compare with NumPy; exit status."""
    import time
    import numpy as np
    t0 = time.monotonic()
    life.run()
    while not life.status()[1]:
        if time.monotonic() - t0 > 600:
            print("check: timed out waiting for the kernel")
            return 1
        time.sleep(0.001)
    elapsed = time.monotonic() - t0
    g, _ = life.status()
    want = reference(cells, generations)
    got = life.current(g)
    bad = np.argwhere(got != want)
    rate = f"{g / elapsed:,.0f} gen/s, {g * life.w * life.h / elapsed / 1e6:,.1f} Mcells/s"
    if g == generations and len(bad) == 0:
        print(f"check: {generations} generations of {life.w}x{life.h} match the NumPy "
              f"reference ({int(want.sum())} alive; kernel {rate})")
        if show:
            print("\n".join(line.rstrip() for line in render(got, life.w, (life.h + 1) // 2)))
        return 0
    where = f", first at (y, x) = {tuple(int(v) for v in bad[0])}" if len(bad) else ""
    print(f"check: FAILED at generation {g} of {generations}: {len(bad)} cells differ{where}")
    return 1


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"gol.py: --size takes WxH, e.g. 1024x768, not {text!r}")
    if not (8 <= w <= MAXW and 8 <= h <= MAXH):
        raise SystemExit(f"gol.py: --size must be between 8x8 and {MAXW}x{MAXH}")
    return w, h


# EBPFPY_PIN_ROOT: where examples pin (scripts/gen_docs.py gives each run its own).
PIN_DIR = os.path.join(os.environ.get("EBPFPY_PIN_ROOT", "/sys/fs/bpf"), "ebpfpy_gol")


def detach(cells, pin_dir: str, period_ms: float) -> int:
    """Start a game whose maps are pinned in ``pin_dir``, then let the process end."""
    import ebpfpy
    from ebpfpy.loader.pinning import pinned, remove_pins
    if pinned(pin_dir):
        raise SystemExit(f"gol.py: a game is already pinned in {pin_dir}: "
                         "--attach to watch it, --stop to end it")
    try:
        with ebpfpy.load(__file__, pin_dir=pin_dir) as obj:
            life = Life(obj, cells, period_ms=period_ms)
            life.run()
            life.close()
    except BaseException:
        remove_pins(pin_dir)            # nothing half-started stays behind
        raise
    h, w = cells.shape
    print(f"detached: a {w}x{h} game runs in the kernel; its maps are pinned in {pin_dir}:")
    print("  " + " ".join(pinned(pin_dir)))
    print("watch it with --attach, end it with --stop")
    return 0


def attach(pin_dir: str, duration: float | None) -> int:
    """Draw the detached game until Ctrl-C (or ``duration``); it keeps running afterwards."""
    import sys
    import ebpfpy
    from ebpfpy.loader.pinning import pinned
    if not pinned(pin_dir):
        raise SystemExit(f"gol.py: no game is pinned in {pin_dir}: start one with --detach")
    with ebpfpy.load(__file__, pin_dir=pin_dir) as obj:
        life = Life.attached(obj)
        try:
            return live(life, duration, sys.stdout, detached=True)
        finally:
            life.close()


def stop(pin_dir: str) -> int:
    """Unpin the detached game: the kernel cancels its timer and frees it."""
    from ebpfpy.loader.pinning import remove_pins
    names = remove_pins(pin_dir)
    if not names:
        raise SystemExit(f"gol.py: no game is pinned in {pin_dir}")
    print(f"stopped: unpinned {' '.join(names)} from {pin_dir}")
    return 0


def main(argv=None) -> int:
    import argparse
    import sys
    import ebpfpy
    p = argparse.ArgumentParser(description="Conway's Game of Life in the kernel, forever.")
    p.add_argument("--size", default="256x256", help="WxH, from 8x8 to 4096x4096 (default 256x256)")
    p.add_argument("--pattern", default="random", help="random, glider, gosper or FILE.rle")
    p.add_argument("--period", type=float, default=0, metavar="MS",
                   help="pause between generations (default: none)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random board")
    p.add_argument("--duration", type=float, metavar="S", help="quit after S seconds")
    p.add_argument("--check", type=int, metavar="N",
                   help="run N generations, compare with NumPy, exit 0 when equal")
    p.add_argument("--show", action="store_true", help="with --check: print the final board")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true",
                      help="start the game, pin its maps and exit: it keeps running in the kernel")
    mode.add_argument("--attach", action="store_true", help="watch the detached game")
    mode.add_argument("--stop", action="store_true", help="end the detached game")
    p.add_argument("--pin-dir", default=PIN_DIR, metavar="DIR",
                   help=f"bpffs directory of the detached game (default {PIN_DIR})")
    args = p.parse_args(argv)
    if args.stop:
        return stop(args.pin_dir)
    if args.attach:
        return attach(args.pin_dir, args.duration)
    w, h = parse_size(args.size)
    cells = initial_board(args.pattern, w, h, args.seed)
    if args.check is not None and args.check < 1:
        raise SystemExit("gol.py: --check needs N >= 1")
    if args.detach:
        return detach(cells, args.pin_dir, args.period)
    with ebpfpy.load(__file__) as obj:
        life = Life(obj, cells, limit=args.check or 0, period_ms=args.period)
        try:
            if args.check is not None:
                return check(life, cells, args.check, show=args.show)
            life.run()
            return live(life, args.duration, sys.stdout)
        finally:
            life.close()


if __name__ == "__main__":
    raise SystemExit(main())
