"""Reading and parsing the user's file, and turning problems into positioned diagnostics."""
from __future__ import annotations

import ast
import codecs
import re
from typing import NoReturn

from ..errors import CompileError, Diagnostic
from ..types import RefType
from .messages import MESSAGES

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class Source:
    """The text of one file, its lines, and the diagnostics collected against it."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = text.splitlines()
        self.errors: list[Diagnostic] = []

    def line(self, lineno: int) -> str | None:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else None

    def diag(self, code: str, node: ast.AST | tuple[int, int, int | None] | None,
             **fmt: object) -> Diagnostic:
        """Build a diagnostic from the message table entry ``code`` at ``node``."""
        message, notes = MESSAGES[code]
        # a reference reads as the type it refers to, not "ref[P]"
        fmt = {k: v.target if isinstance(v, RefType) else v for k, v in fmt.items()}
        fmt = {k: _short_int(v) if isinstance(v, int) and v.bit_length() > 256 else v
               for k, v in fmt.items()}
        if isinstance(node, tuple):
            lineno, col, end = node
        elif node is not None and hasattr(node, "lineno") and hasattr(node, "col_offset"):
            lineno, col = node.lineno, node.col_offset
            end = getattr(node, "end_col_offset", None)
            if getattr(node, "end_lineno", lineno) != lineno:
                end = None
            col, end = self.char_col(lineno, col), (self.char_col(lineno, end) if end else end)
        else:
            lineno, col, end = 1, 0, None
        return Diagnostic(code, message.format(**fmt), self.filename, lineno, col, end,
                          [n.format(**fmt) for n in notes], self.line(lineno))

    def bug(self, node: ast.AST | None, code: str, message: str) -> Diagnostic:
        """A diagnostic for a failure of the compiler itself (E999, E998, E003) at ``node``."""
        lineno = getattr(node, "lineno", 1) or 1
        col = getattr(node, "col_offset", 0) or 0
        return Diagnostic(code, message, self.filename, lineno, col,
                          getattr(node, "end_col_offset", None),
                          ["this is a bug in ebpfpy, not in your program: please report it with this file"],
                          self.line(lineno))

    def internal_error(self, node: ast.AST | None, exc: BaseException) -> CompileError:
        """An unexpected exception inside the compiler as a CompileError at ``node``: E003
        when Python's recursion limit was hit (the program is nested too deeply), else E999."""
        if isinstance(exc, RecursionError):
            return CompileError([self.bug(node, "E003", "the program is nested too deeply")])
        return CompileError([self.bug(node, "E999", f"internal compiler error "
                                                    f"({type(exc).__name__}: {exc})")])

    def char_col(self, lineno: int, offset: int) -> int:
        """ast counts columns in UTF-8 bytes; editors, carets and users count characters."""
        line = self.line(lineno)
        if line is None or line.isascii():
            return offset
        return len(line.encode("utf-8")[:offset].decode("utf-8", "ignore"))

    def error(self, code: str, node: ast.AST | tuple[int, int, int | None] | None,
              **fmt: object) -> Diagnostic:
        """Record an error and carry on (independent errors are reported together)."""
        d = self.diag(code, node, **fmt)
        if not any((e.lineno, e.col_offset, e.code) == (d.lineno, d.col_offset, d.code)
                   for e in self.errors):
            self.errors.append(d)
        return d

    def fail(self, code: str, node: ast.AST | tuple[int, int, int | None] | None,
             **fmt: object) -> NoReturn:
        """Record an error and stop at once."""
        self.error(code, node, **fmt)
        raise CompileError(self.errors)

    def raise_if_errors(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda d: (d.lineno, d.col_offset))
            raise CompileError(self.errors)


def _short_int(v: int) -> str:
    """A huge constant, readable (and below Python's 4300-digit str() limit)."""
    return f"{'-' if v < 0 else ''}0x{abs(v) >> (abs(v).bit_length() - 32):x}... ({v.bit_length()} bits)"


def decode_source(raw: bytes, filename: str) -> str:
    """Decode as Python does (PEP 263 coding line, BOM, UTF-8), or a CompileError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        Source("", filename).fail("E001", (1, 0, None),
                                  detail="it is UTF-16 or UTF-32 (it starts with such a byte-order mark)")
    enc = "utf-8"
    at: tuple[int, int, int | None] = (1, 0, None)
    for i, line in enumerate(raw.splitlines()[:2]):
        m = _CODING.match(line)
        if m:
            enc = m.group(1).decode("ascii", "replace")
            at = (i + 1, m.start(1), m.end(1))
            break
    try:
        codecs.lookup(enc)
    except LookupError:
        Source(raw.decode("latin-1"), filename).fail("E001", at, detail=f"unknown encoding {enc!r}")
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as e:
        lineno = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1)
        src = Source(raw.decode(enc, "replace"), filename)
        src.fail("E001", (lineno, col, None), detail=f"byte 0x{raw[e.start]:02x} is not valid {enc}")
    return text.lstrip("\ufeff")


def parse(src: Source) -> ast.Module:
    """Parse with ``ast`` (never executing anything); syntax errors become CompileError."""
    if "\0" in src.text:
        at = src.text.index("\0")
        lineno = src.text.count("\n", 0, at) + 1
        col = at - (src.text.rfind("\n", 0, at) + 1)
        src.fail("E004", (lineno, col, None))
    try:
        return ast.parse(src.text, filename=src.filename, type_comments=False)
    except SyntaxError as e:
        lineno = e.lineno or 1
        col = max((e.offset or 1) - 1, 0)
        end = (e.end_offset - 1) if e.end_offset and (e.end_lineno in (None, lineno)) else None
        src.fail("E002", (lineno, col, end), detail=e.msg)
    except (RecursionError, MemoryError, ValueError) as e:
        src.fail("E003", (1, 0, None), detail=type(e).__name__)
