"""Regenerate (or check) every command output shown in the docs.

    .venv/bin/python scripts/gen_docs.py            # rewrite every marked block in place
    .venv/bin/python scripts/gen_docs.py --check    # exit 1 when a block differs from its run
    .venv/bin/python scripts/gen_docs.py docs/tutorial.md --only 03_limits

A generated block is a fenced code block right after an HTML comment that starts with
``output``; its lines starting with ``$ `` are commands, run from the repository root (``python``
and ``ebpfpy`` are the virtualenv's), and what each prints (stdout, then stderr) follows it::

    <!-- output vary="\\d+(\\.\\d+)? s" needs=clang-19 -->
    ```
    $ python examples/tutorial/03_limits.py
    ...
    ```

``vary=REGEX`` (repeatable) marks what legitimately changes from run to run (timings, pids,
counts that depend on the machine's load): ``--check`` and ``kernel_tests/test_docs.py``
replace its matches with ``…`` on both sides before comparing.  Kernel addresses
(``0xffff…``) always vary.  ``needs=TOOL`` names a program that must be on ``PATH`` (the block
is skipped, not failed, without it).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"^<!--\s*output\b(?P<opts>.*?)-->\s*$")
ALWAYS_VARY = (r"0xffff[0-9a-f]{8,}",)     # kernel addresses (map pointers in verifier logs)
COMMAND_TIMEOUT = 600


@dataclass
class Block:
    """One generated block: where its body is in the file, its commands and its options."""

    path: Path
    first: int                    # index of the first body line (after the opening fence)
    last: int                     # index of the closing fence
    body: list[str]
    vary: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)

    @property
    def commands(self) -> list[str]:
        return [ln[2:] for ln in self.body if ln.startswith("$ ")]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.first + 1}"   # its first line, from 1

    def missing(self) -> list[str]:
        """The tools this block needs that are not installed."""
        return [t for t in self.needs if shutil.which(t) is None]


def doc_files() -> list[Path]:
    """Every file whose blocks are generated: README.md and docs/*.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def find_blocks(path: Path) -> list[Block]:
    """The marked blocks of ``path``; a marker not followed by a fence is an error."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            raise SystemExit(f"{path}:{i + 1}: an output marker must be followed by a ``` block")
        end = next((k for k in range(i + 2, len(lines)) if lines[k].startswith("```")), None)
        if end is None:
            raise SystemExit(f"{path}:{i + 2}: the block is not closed")
        block = Block(path, i + 2, end, lines[i + 2:end])
        for opt in shlex.split(m.group("opts")):
            key, _, value = opt.partition("=")
            if key == "vary":
                block.vary.append(value)
            elif key == "needs":
                block.needs.append(value)
            else:
                raise SystemExit(f"{path}:{i + 1}: unknown output option {key!r}")
        if not block.commands:
            raise SystemExit(f"{path}:{i + 2}: a generated block needs a '$ command' line")
        out.append(block)
    return out


def _env(pin_root: str) -> dict[str, str]:
    """``python`` and ``ebpfpy`` resolve to this interpreter's virtualenv; examples that pin
    in bpffs do it under ``EBPFPY_PIN_ROOT``, a bpffs of the block's own (:func:`generate`)."""
    env = dict(os.environ)
    env["EBPFPY_PIN_ROOT"] = pin_root
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("EBPFPY_DEBUG", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_command(cmd: str, pin_root: str) -> list[str]:
    """What ``cmd`` prints, as lines (stdout, then stderr); a traceback is an error."""
    r = subprocess.run(cmd, shell=True, cwd=ROOT, env=_env(pin_root), capture_output=True,
                       text=True, timeout=COMMAND_TIMEOUT)
    text = r.stdout + r.stderr
    if "Traceback (most recent call last)" in text:
        raise RuntimeError(f"`{cmd}` printed a traceback:\n{text}")
    return text.rstrip("\n").splitlines()


def generate(block: Block) -> list[str]:
    """The block's body as the commands print it now.

    The commands pin (if they do) in a bpffs mounted for this block alone: pins in the shared
    ``/sys/fs/bpf`` would collide with other runs, and unmounting frees whatever is left.
    """
    body = []
    pin_root = tempfile.mkdtemp(prefix="ebpfpy_docs_pins_")
    mounted = subprocess.run(["mount", "-t", "bpf", "bpf", pin_root],
                             capture_output=True).returncode == 0
    try:
        for cmd in block.commands:
            body.append("$ " + cmd)
            body += run_command(cmd, pin_root)
    finally:
        if mounted:
            subprocess.run(["umount", pin_root], check=True)
        os.rmdir(pin_root)
    return body


def normalise(lines: list[str], vary: list[str]) -> list[str]:
    """``lines`` with every varying part replaced by ``…``; runs of spaces after the
    indentation count as one (a varying number changes the padding of what follows it)."""
    pats = [re.compile(p) for p in (*ALWAYS_VARY, *vary)]
    out = []
    for line in lines:
        for p in pats:
            line = p.sub("…", line)
        indent = line[:len(line) - len(line.lstrip())]
        out.append(indent + re.sub(r"\s+", " ", line.strip()))
    return out


def differs(block: Block, fresh: list[str]) -> bool:
    return normalise(block.body, block.vary) != normalise(fresh, block.vary)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path, help="default: README.md and docs/*.md")
    p.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    p.add_argument("--only", metavar="TEXT", help="only blocks whose commands contain TEXT")
    args = p.parse_args(argv)
    status = 0
    for path in [f.resolve() for f in args.files] or doc_files():
        lines = path.read_text().splitlines()
        changed = False
        # from the last block up, so earlier line numbers stay valid while rewriting
        for block in reversed(find_blocks(path)):
            if args.only and not any(args.only in c for c in block.commands):
                continue
            if block.missing():
                print(f"{block.where}: skipped, needs {', '.join(block.missing())}")
                continue
            try:
                fresh = generate(block)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"{block.where}: not generated: {e}")
                status = 1
                continue
            if not differs(block, fresh):
                continue
            if args.check:
                import difflib
                print(f"{block.where}: differs from what the commands print:")
                print("\n".join(difflib.unified_diff(normalise(block.body, block.vary),
                                                     normalise(fresh, block.vary), lineterm="")))
                status = 1
            else:
                lines[block.first:block.last] = fresh
                changed = True
                print(f"{block.where}: rewritten")
        if changed:
            path.write_text("\n".join(lines) + "\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
