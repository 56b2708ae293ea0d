"""Shrink a failing module: drop lines and blocks while a predicate still holds.

``minimize(source, still_fails)`` tries removing every statement (with its nested block),
then replaces emptied blocks by ``pass``; each candidate must still parse and still satisfy
``still_fails(candidate)`` (e.g. "the kernel rejects it with the same message").
"""
from __future__ import annotations

import ast
from typing import Callable


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], i: int) -> int:
    """The index after line ``i`` and every following line indented deeper."""
    ind = _indent(lines[i])
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > ind):
        j += 1
    return j


def _fix_empty_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        # a comment ending in ":" (a reproducer's "# last lines of the verifier log:") opens
        # no block: a "pass" under it made every candidate unparsable
        if line.rstrip().endswith(":") and not line.lstrip().startswith("#"):
            nxt = next((x for x in lines[i + 1:] if x.strip()), None)
            if nxt is None or _indent(nxt) <= _indent(line):
                out.append(" " * (_indent(line) + 4) + "pass")
    return out


def minimize(source: str, still_fails: Callable[[str], bool], rounds: int = 4) -> str:
    """The smallest variant of ``source`` found for which ``still_fails`` holds."""
    lines = source.splitlines()
    for _ in range(rounds):
        changed = False
        i = 0
        while i < len(lines):
            if not lines[i].strip() or lines[i].lstrip().startswith(("@", "def ", "class ", "from ")):
                i += 1
                continue
            cand = _fix_empty_blocks(lines[:i] + lines[_block_end(lines, i):])
            if cand == lines:
                i += 1
                continue
            text = "\n".join(cand) + "\n"
            try:
                ast.parse(text)
                ok = still_fails(text)
            except Exception:
                ok = False
            if ok:
                lines, changed = cand, True
            else:
                i += 1
        if not changed:
            break
    return "\n".join(lines) + "\n"
