"""Draw the tutorial's pictures from real runs on this kernel, as SVG files in docs/img/.

    .venv/bin/python scripts/gen_pictures.py [--out docs/img]

- ``verifier_walk.svg``: the verifier's log at level 2 for
  ``examples/tutorial/pictures/walk.py``: every instruction it processed, in order (x), by
  instruction index (y), with the paths it resumed from a saved branch and the points where it
  pruned a path whose state it had already seen.
- ``timer_ticks.svg``: when each callback of ``examples/tutorial/pictures/ticks.py`` ran (the
  kernel records ``ktime`` in a map; each callback re-arms the timer 1 ms ahead).
- ``canvas.svg``: the bytes ``examples/tutorial/07_maps.py`` writes into its mmapable array,
  as userspace reads them through the zero-copy ``view()``.

Needs root (it loads the programs).  Pure string building: no plotting library.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "examples" / "tutorial" / "pictures"
FONT = 'font-family="monospace"'


def _svg(width: int, height: int, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n<rect width="100%" height="100%" fill="white"/>\n'
            + "\n".join(body) + "\n</svg>\n")


# ----------------------------------------------------------------------------- the walk
INSN = re.compile(r"^(\d+): \(")
FROM = re.compile(r"^from (\d+) to (\d+):")
SAFE = re.compile(r"^(\d+): safe")
SOURCE = re.compile(r"^; (.*) @ \S+:(\d+)$")


def parse_walk(log: str) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """The verifier's steps, ``(insn, kind)`` with kind ``insn``, ``resume`` (first insn of a
    path taken from a saved branch) or ``safe`` (pruned); and each insn's source text."""
    steps: list[tuple[int, str]] = []
    source: dict[int, str] = {}
    text, resume = None, False
    for line in log.splitlines():
        if m := SOURCE.match(line):
            text = f"{m.group(1).strip()}  (line {m.group(2)})"
        elif m := FROM.match(line):
            resume = True
        elif m := SAFE.match(line):
            steps.append((int(m.group(1)), "safe"))
            resume = False
        elif m := INSN.match(line):
            insn = int(m.group(1))
            steps.append((insn, "resume" if resume else "insn"))
            resume = False
            if text is not None:
                source.setdefault(insn, text)
                text = None
    return steps, source


def walk_svg(steps: list[tuple[int, str]], source: dict[int, str], processed: str) -> str:
    n_insn = max(i for i, _ in steps) + 1
    left, top, dx, dy = 330, 40, 3, 9
    width, height = left + dx * len(steps) + 40, top + dy * n_insn + 60
    body = [f'<text x="10" y="20" {FONT} font-size="13">The verifier walking '
            f'examples/tutorial/pictures/walk.py: {escape(processed)}</text>']
    for insn, text in sorted(source.items()):
        y = top + insn * dy
        body.append(f'<text x="10" y="{y + 3}" {FONT} font-size="11" fill="#444">{escape(text[:46])}</text>')
        body.append(f'<line x1="{left - 6}" y1="{y}" x2="{width - 30}" y2="{y}" stroke="#eee"/>')
    prev = None
    for k, (insn, kind) in enumerate(steps):
        x, y = left + k * dx, top + insn * dy
        if prev is not None and kind == "insn":
            body.append(f'<line x1="{prev[0]}" y1="{prev[1]}" x2="{x}" y2="{y}" '
                        'stroke="#1f77b4" stroke-width="1"/>')
        if kind == "resume":
            body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#ff7f0e"/>')
        if kind == "safe":
            body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#2ca02c"/>')
        prev = (x, y)
    y = height - 30
    body += [f'<text x="{left}" y="{y}" {FONT} font-size="11">x: the order the verifier processed '
             'instructions in; y: instruction index, with the Python line it came from</text>',
             f'<circle cx="{left + 4}" cy="{y + 14}" r="3" fill="#ff7f0e"/>'
             f'<text x="{left + 12}" y="{y + 18}" {FONT} font-size="11">resumes a branch it saved for later</text>',
             f'<circle cx="{left + 274}" cy="{y + 14}" r="3" fill="#2ca02c"/>'
             f'<text x="{left + 282}" y="{y + 18}" {FONT} font-size="11">pruned: this state was seen before</text>']
    return _svg(width, height, body)


def verifier_walk() -> str:
    import ebpfpy
    with ebpfpy.load(str(PICTURES / "walk.py"), log_level=2) as obj:
        log = obj.programs.count_bits.log
    steps, source = parse_walk(log)
    processed = re.search(r"processed \d+ insns", log).group(0)
    return walk_svg(steps, source, processed)


# ----------------------------------------------------------------------------- the timer
def ticks_svg(at_ns: list[int]) -> str:
    t0 = at_ns[0]
    ms = [(t - t0) / 1e6 for t in at_ns]
    left, top, scale = 40, 60, 12.0           # pixels per millisecond
    width = int(left + ms[-1] * scale + 60)
    gaps = [b - a for a, b in zip(ms, ms[1:])]
    body = [f'<text x="10" y="20" {FONT} font-size="13">A timer re-arming itself: '
            f'{len(ms)} callbacks of examples/tutorial/pictures/ticks.py, each calling '
            'timer.start(1 ms) (ktime recorded by the kernel in a map)</text>',
            f'<text x="10" y="38" {FONT} font-size="11" fill="#444">interval between callbacks: min '
            f'{min(gaps):.3f} ms, max {max(gaps):.3f} ms</text>',
            f'<line x1="{left}" y1="{top + 30}" x2="{width - 20}" y2="{top + 30}" stroke="#888"/>']
    for k, t in enumerate(ms):
        x = left + t * scale
        body.append(f'<line x1="{x:.1f}" y1="{top + 10}" x2="{x:.1f}" y2="{top + 30}" '
                    'stroke="#1f77b4" stroke-width="2"/>')
        if k + 1 < len(ms):
            x2 = left + ms[k + 1] * scale
            body.append(f'<path d="M {x:.1f} {top + 10} Q {(x + x2) / 2:.1f} {top - 8} '
                        f'{x2:.1f} {top + 10}" fill="none" stroke="#ff7f0e" stroke-width="1"/>')
    for tick in range(0, int(ms[-1]) + 1, 10):
        x = left + tick * scale
        body.append(f'<text x="{x:.1f}" y="{top + 46}" {FONT} font-size="11" text-anchor="middle">{tick} ms</text>')
    body.append(f'<text x="{left}" y="{top + 70}" {FONT} font-size="11" fill="#444">blue: a callback runs; '
                'orange: the start() it made, arming the next one</text>')
    return _svg(width, top + 80, body)


def timer_ticks() -> str:
    import ebpfpy
    with ebpfpy.load(str(PICTURES / "ticks.py")) as obj:
        obj.programs.start.test_run()
        deadline = time.monotonic() + 5
        while obj.maps.rec[0].count < 64 and time.monotonic() < deadline:
            time.sleep(0.01)
        r = obj.maps.rec[0]
        at = [int(v) for v in r.at[:int(r.count)]]
    return ticks_svg(at)


# ----------------------------------------------------------------------------- the canvas
def canvas_svg(cells, lit: int) -> str:
    rows, cols = cells.shape
    size, left, top = 10, 10, 40
    body = [f'<text x="10" y="20" {FONT} font-size="13">examples/tutorial/07_maps.py: the '
            f'kernel lit {lit} cells of canvas = Array(u8[{cols}], {rows}, mmapable=True); '
            'userspace reads them through view(), no copy</text>']
    for y in range(rows):
        for x in range(cols):
            fill = "#1f77b4" if cells[y, x] else "#f2f2f2"
            body.append(f'<rect x="{left + x * size}" y="{top + y * size}" width="{size - 1}" '
                        f'height="{size - 1}" fill="{fill}"/>')
    return _svg(left * 2 + cols * size, top + rows * size + 10, body)


def canvas() -> str:
    import importlib.util
    import ebpfpy
    spec = importlib.util.spec_from_file_location("maps07", ROOT / "examples/tutorial/07_maps.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["maps07"] = mod
    spec.loader.exec_module(mod)              # the module's top level only defines things
    with ebpfpy.load(mod) as obj:
        view = obj.maps.canvas.view()
        r = obj.programs.draw.test_run(ctx=mod.Frame(t=0))
        lit = mod.Frame.from_bytes(r.ctx).lit
        cells = view.copy()
        del view
    return canvas_svg(cells, lit)


PICTURES_BY_NAME = {"verifier_walk.svg": verifier_walk, "timer_ticks.svg": timer_ticks,
                    "canvas.svg": canvas}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in PICTURES_BY_NAME.items():
        (args.out / name).write_text(make())
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
