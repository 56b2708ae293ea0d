"""The one error family: CompileError (user code), LoadError and VerifierError (kernel).

Rendered like gcc/rustc: ``FILE:LINE:COL: error: MESSAGE``, the source line, a caret span and
``note:`` lines that show the fix.  ``col_offset`` is 0-based as in ``ast``; the printed
column is 1-based.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Diagnostic:
    """One problem at one place in the user's source."""

    code: str
    message: str
    filename: str
    lineno: int
    col_offset: int
    end_col_offset: int | None = None
    notes: list[str] = field(default_factory=list)
    source_line: str | None = None

    def render(self) -> str:
        # the contract's form, FILE:LINE:COL: error: MESSAGE, with the stable code after it
        out = [f"{self.filename}:{self.lineno}:{self.col_offset + 1}: error: {self.message} [{self.code}]"]
        if self.source_line is not None:
            line = self.source_line.rstrip("\n").expandtabs(1)
            out.append("    " + line)
            start = min(self.col_offset, len(line))
            end = self.end_col_offset if self.end_col_offset and self.end_col_offset > start else start + 1
            end = min(max(end, start + 1), max(len(line), start + 1))
            out.append("    " + " " * start + "^" * (end - start))
        for n in self.notes:
            first, *rest = n.split("\n")
            out.append(f"note: {first}")
            out.extend("    " + r for r in rest)
        return "\n".join(out)


class CompileError(Exception):
    """Every problem found in user code; ``errors`` lists all independent ones found."""

    def __init__(self, errors: list[Diagnostic]) -> None:
        assert errors
        self.errors = errors
        first = errors[0]
        self.code = first.code
        self.message = first.message
        self.filename = first.filename
        self.lineno = first.lineno
        self.col_offset = first.col_offset
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n\n".join(d.render() for d in self.errors)


class LoadError(Exception):
    """The kernel or libbpf refused to open or load an object."""


class AttachError(LoadError, OSError):
    """The kernel refused to attach a loaded program.

    An ``OSError`` (``errno`` is the kernel's answer) and a ``LoadError``; ``program`` and
    ``target`` say what was attached where, ``hint`` the likely cause when one is known
    (also the message's ``hint:`` line).  EPERM/EACCES raise :class:`AttachPermissionError`,
    which is also a ``PermissionError``.
    """

    def __init__(self, err: int, message: str, program: str = "", target: str = "",
                 hint: str | None = None) -> None:
        super().__init__(err, message)
        self.program, self.target, self.hint = program, target, hint


class AttachPermissionError(AttachError, PermissionError):
    """An attach refused with EPERM or EACCES."""


class VerifierError(LoadError):
    """The verifier rejected a program.

    ``log`` is the kernel's whole log; ``lineno`` the Python line of the failing instruction
    (None when the log names none); ``program`` the program's name.
    """

    def __init__(self, message: str, log: str, program: str, filename: str | None = None,
                 lineno: int | None = None, col_offset: int | None = None) -> None:
        self.log = log
        self.program = program
        self.filename = filename
        self.lineno = lineno
        self.col_offset = col_offset
        super().__init__(message)
