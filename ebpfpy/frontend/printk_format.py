"""Formats of helpers.printk / helpers.seq_printf, checked as the kernel checks them.

The kernel validates the format only when the helper runs (``bpf_bprintf_prepare`` in
kernel/bpf/helpers.c): a conversion it does not know makes ``bpf_trace_printk`` return
-EINVAL and print nothing.  This module applies the same rules at compile time:

* every character is printable ASCII or white space;
* ``%%`` is a literal percent sign;
* otherwise ``%`` [flags ``0 + - space``] [width] then one of
  ``d i u x X`` (optionally after ``l`` or ``ll``), ``c``, ``s`` (string at an address),
  ``p`` followed by end/space/punctuation (an address), ``pK px ps pS pB`` (an address),
  ``pks pus`` (a kernel / user string at an address), ``pi4 pI4 pi6 pI6`` (an IP address
  read from an address).  No precision, no ``#``, no ``h``, no ``%n``, no floats.
"""
from __future__ import annotations

import ast
import string
from dataclasses import dataclass

from ..model.source import Source

_PUNCT = set(string.punctuation)
_SPACE = set(" \t\n\r\x0b\x0c")


@dataclass(frozen=True)
class Conversion:
    """One ``%...`` of a format: where it starts, its text and what its value must be.

    ``reads`` is "" for a value printed as given (integers, %c, %p addresses), else what the
    kernel reads from memory at the value: "string" or "IP address".
    """

    start: int
    text: str
    reads: str


class FormatError(Exception):
    def __init__(self, start: int, length: int, detail: str) -> None:
        super().__init__(detail)
        self.start, self.length, self.detail = start, length, detail


def parse_format(fmt: str) -> list[Conversion]:
    """The conversions of ``fmt``, or FormatError where the kernel would refuse it."""
    out: list[Conversion] = []
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if not (ch.isascii() and (ch.isprintable() or ch in _SPACE)):
            raise FormatError(i, 1, f"character {ch!r} is not printable ASCII")
        if ch != "%":
            i += 1
            continue
        if fmt[i + 1:i + 2] == "%":
            i += 2
            continue
        start, i = i, i + 1
        while i < n and fmt[i] in "0+- ":
            i += 1
        while i < n and fmt[i].isdigit():
            i += 1
        j, reads = _conversion(fmt, i)
        if j is None:
            bad = fmt[start:i + 1] if i < n else fmt[start:]
            why = {".": " (it takes no precision)", "#": " (it takes no '#' flag)",
                   "h": " (it has no 'h' size: values travel as 64-bit integers)"}.get(fmt[i:i + 1], "")
            raise FormatError(start, len(bad), f"{bad!r} is not a conversion the kernel accepts{why}")
        out.append(Conversion(start, fmt[start:j], reads))
        i = j
    return out


def _conversion(fmt: str, i: int) -> tuple[int | None, str]:
    """End index and what is read, for the conversion letter(s) at ``fmt[i]``."""
    nxt = fmt[i + 1:i + 2]
    c = fmt[i:i + 1]
    if c == "p":
        if nxt == "" or nxt in _SPACE or nxt in _PUNCT:
            return i + 1, ""
        if nxt in ("k", "u") and fmt[i + 2:i + 3] == "s":
            return _string_end(fmt, i + 3), "string"
        if nxt in ("K", "x", "s", "S", "B"):
            return i + 2, ""
        if nxt in ("i", "I") and fmt[i + 2:i + 3] in ("4", "6"):
            return i + 3, "IP address"
        return None, ""
    if c == "s":
        return _string_end(fmt, i + 1), "string"
    if c == "c":
        return i + 1, ""
    for prefix in ("ll", "l", ""):
        if fmt.startswith(prefix, i) and fmt[i + len(prefix):i + len(prefix) + 1] in tuple("diuxX"):
            return i + len(prefix) + 1, ""
    return None, ""


def _string_end(fmt: str, j: int) -> int | None:
    # the kernel wants end, white space or punctuation right after a string conversion
    nxt = fmt[j:j + 1]
    return j if nxt == "" or nxt in _SPACE or nxt in _PUNCT else None


def literal_span(src: Source, node: ast.Constant, start: int,
                 length: int) -> ast.AST | tuple[int, int, int]:
    """The source span of ``value[start:start+length]`` of a one-line string literal without
    escapes before it; the literal itself otherwise."""
    line = src.line(node.lineno) or ""
    text = node.value
    if not isinstance(text, str):
        return node
    if getattr(node, "end_lineno", node.lineno) != node.lineno:
        return node
    col = src.char_col(node.lineno, node.col_offset)
    k = col
    while k < len(line) and line[k] not in "'\"":
        k += 1                                     # skip a prefix such as r or u
    q = line[k:k + 3] if line[k:k + 3] in ('"""', "'''") else line[k:k + 1]
    body = k + len(q)
    if line[body:body + start + length] != text[:start + length]:
        return node
    return (node.lineno, body + start, body + start + length)


def checked_conversions(src: Source, node: ast.Constant) -> list[Conversion] | None:
    """The conversions of the literal format ``node``, or None after reporting E159 in it."""
    assert isinstance(node.value, str), "the checker passes string literals only"
    try:
        return parse_format(node.value)
    except FormatError as e:
        src.error("E159", literal_span(src, node, e.start, e.length), detail=e.detail)
        return None


def value_problem(conv: Conversion, by_address: bool) -> str | None:
    """E168 when a by-value integer meets a conversion that reads memory, E169 the reverse."""
    if conv.reads and not by_address:
        return "E168"
    if not conv.reads and by_address:
        return "E169"
    return None
