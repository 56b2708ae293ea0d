"""Turn a failed load into the error a Python programmer can act on.

The kernel's log quotes the source with ``; <text> @ FILE:LINE`` lines (from BTF line info,
which the compiler fills with the Python source); the failing instruction's Python line is the
last such quote before the error.  The message is ``FILE:LINE:COL: error: <reason>``, the source
line with a caret, and a ``hint:`` for the common causes.  The whole log stays on ``.log``.
"""
from __future__ import annotations

import ast
import errno
import os
import re
from typing import Iterable

from ..errors import LoadError, VerifierError

# The text may itself contain " @ " (a decorator): the last one before FILE:LINE separates.
_QUOTE = re.compile(r"^;\s?(?P<text>.*)\s@\s(?P<file>.+?):(?P<line>\d+)\s*$")
_INSN = re.compile(r"^\d+: \(")
_NOISE = re.compile(r"^(processed \d+ insns|verification time|stack depth|"
                    r"func#\d+|mark_precise|last_idx|regs=|parent didn't|from \d+ to \d+|"
                    r"\d+: R\d|;|\d+: \(|(?:cur|old) state:|frame\d+:|R\d+=|fp-\d+=|"
                    r"caller:|callee:|returning from callee|to caller at|propagating)")
# A jump back: ``14: (55) if r3 != 0x1e8480 goto pc-5`` (the verifier walks a loop through it).
_BACK_JUMP = re.compile(r"^(?P<insn>\d+): \([0-9a-f]{2}\) (?:if .* )?goto pc-(?P<off>\d+)")
# Refusals for having walked too much: the place to show is the loop being walked.
_TOO_MUCH = re.compile(r"BPF program is too large|sequence of \d+ jumps is too complex")
# Reasons the kernel prints when it starts on an instruction, which can land on the line of
# the instruction before it (printed without its newline): ``870: (55) if r0 != 0x0 goto
# pc+1 BPF program is too large. Processed 1000001 insn`` (fuzz seed 2 program 3312).
_APPENDED = re.compile(r"\s((?:BPF program is too large|infinite loop detected|"
                       r"The sequence of \d+ jumps is too complex)\b.*)$")

# (pattern in the log, one-line hint) -- the first that matches wins.
HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"invalid mem access '(map_value_or_null|ptr_or_null|.*_or_null)'"),
     "a map lookup (or ctx.load) can return None: check it first, e.g. "
     "`if r is None: return 0`"),
    (re.compile(r"back-edge from insn|loop is not bounded"),
     "a loop's bound is not known to the verifier: use a constant bound or cap it, "
     "`for i in range(min(n, 1000)):`"),
    (re.compile(r"infinite loop detected"),
     "the verifier reached this point twice in the same state, so it could not see the loop "
     "make progress (it lost track of the loop's counter or exit condition); ebpfpy's own "
     "loops should never do this: please report it with this program"),
    (re.compile(r"combined stack size|stack size|invalid (?:indirect )?(?:read|write) from stack"
                r"|stack depth \d{4,}"),
     "too much stack: each function has 512 bytes (summed along calls); keep big arrays and "
     "structs in a map value instead of locals"),
    (re.compile(r"BPF program is too large|processed \d{7,} insn|too many instructions"),
     "too many instructions for the verifier (1M processed instructions per program): use "
     "smaller loop bounds, helpers.loop(...), or split the work across programs"),
    (re.compile(r"sequence of \d+ jumps is too complex"),
     "too many branches inside a loop for the verifier to follow: reduce the conditions in "
     "the loop body or the number of iterations"),
    # a packet pointer at a variable offset with no range (r=0) after ctx.load's check: the
    # verifier counts the check only when the offset is provably below MAX_PACKET_OFF
    (re.compile(r"invalid access to packet, off=-?\d+ size=\d+, R\d+\(id=[1-9]\d*,off=-?\d+,r=0\)"),
     "the verifier could not prove this ctx.load in bounds: its offset is not known to stay "
     "below 65535 (MAX_PACKET_OFF), so the check against the packet's end does not count. "
     "Bound the offset first, e.g. `off = u32(x & 0x3FFF)` or `if off > 1500: return XDP_PASS`"),
    (re.compile(r"invalid access to packet|R\d+ offset is outside of the packet"),
     "packet access without a bounds check: read packet data through ctx.load(T, offset) "
     "and check the result for None"),
    (re.compile(r"invalid bpf_context access"),
     "the program reads outside its context: a ctx struct annotation must match the kernel's "
     "record (tracefs events/CATEGORY/NAME/format), and ctx fields are read-only for most "
     "program kinds"),
    (re.compile(r"Unreleased reference|would lead to reference leak"),
     "the program can exit still holding something it acquired (an object from obj_new or "
     "a tree/list pop, a ring-buffer reserve): free, submit or store it on every path "
     "(ebpfpy checks this at compile time: E315, E073)"),
    (re.compile(r"function calls are not allowed while holding a lock"),
     "no helper, kfunc or function call while a spin lock is held, other than the tree and "
     "list operations: move the call after the `with v.lock:` block (E323)"),
    (re.compile(r"R0 !read_ok|R0 leaks addr|At program exit the register R0"),
     "the program must return an integer on every path"),
    (re.compile(r"unknown func|program of this type cannot use helper"),
     "this helper is not available to this program kind on the running kernel"),
    (re.compile(r"invalid access to map value|value is outside of the allowed memory range"
                r"|min value is negative|unbounded memory access"),
     "an index into a map value may be out of range: check it against the array length "
     "in an `if` right before the access"),
]


def hint_for(log: str) -> str | None:
    """The hint for the first known failure pattern found in ``log``."""
    for pat, hint in HINTS:
        if pat.search(log):
            return hint
    return None


def reason_of(lines: list[str]) -> str:
    """The kernel's reason in one line: the first line after the last instruction that is
    neither a register/stack state dump nor a statistic (the kernel prints the reason, then
    for some refusals the states involved, then its statistics)."""
    last_insn = max((i for i, line in enumerate(lines) if _INSN.match(line.strip())), default=-1)
    for line in lines[last_insn + 1:]:
        if _is_reason(line):
            return line.strip()
    appended = _APPENDED.search(lines[last_insn].rstrip()) if last_insn >= 0 else None
    if appended:
        return appended.group(1)
    for line in reversed(lines[:last_insn + 1]):
        if _is_reason(line):
            return line.strip()
    return "the verifier rejected the program"


def _is_reason(line: str) -> bool:
    s = line.strip()
    return bool(s) and not _NOISE.match(s) and not _INSN.match(s)


def failing_line(lines: list[str]) -> tuple[str, int, str] | None:
    """``(file, line, text)`` of the last source quote in the log, or None."""
    return _quote_before(lines, len(lines))


def _quote_before(lines: list[str], end: int) -> tuple[str, int, str] | None:
    for line in reversed(lines[:end]):
        m = _QUOTE.match(line.strip())
        if m:
            return m["file"], int(m["line"]), m["text"]
    return None


def walked_loop_line(lines: list[str], source: str | None) -> tuple[str, int, str] | None:
    """Where the loop the verifier was walking when it gave up starts: the source quote of the
    last backward jump in the log (the loop's latch), widened to the innermost ``for``/``while``
    statement of ``source`` that contains that line.  None without a backward jump."""
    for i in range(len(lines) - 1, -1, -1):
        if _BACK_JUMP.match(lines[i].strip()):
            where = _quote_before(lines, i)
            break
    else:
        return None
    if where is None or not source:
        return where
    loop = _innermost_loop(source, where[1])
    return where if loop is None else (where[0], loop, "")


def _innermost_loop(source: str, lineno: int) -> int | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)) and \
                node.lineno <= lineno <= (node.end_lineno or node.lineno):
            if best is None or node.lineno > best.lineno:
                best = node
    return None if best is None else best.lineno


def verifier_error(program: str, log: str, source: str | None = None,
                   filename: str | None = None) -> VerifierError:
    """A :class:`VerifierError` for ``program`` rejected with ``log``."""
    lines = log.rstrip("\n").splitlines()
    reason = reason_of(lines)
    where = walked_loop_line(lines, source) if _TOO_MUCH.search(reason) else None
    where = where or failing_line(lines)
    src_lines = source.splitlines() if source else []
    lineno, col, text, fname = None, 0, None, filename
    if where is not None:
        fname = filename or where[0]
        lineno, text = where[1], where[2]
        if 0 < lineno <= len(src_lines):
            text = src_lines[lineno - 1]
        col = len(text) - len(text.lstrip())
    out = []
    if lineno is not None:
        out.append(f"{fname}:{lineno}:{col + 1}: error: verifier rejected program "
                   f"{program!r}: {reason}")
        if text is not None:
            out.append("    " + text.rstrip())
            out.append("    " + " " * col + "^" * max(len(text.strip()), 1))
    else:
        out.append(f"verifier rejected program {program!r}: {reason}")
    hint = hint_for(log)
    if hint:
        out.append(f"hint: {hint}")
    tail = [s for s in lines[-6:] if s.strip()]
    if tail:
        out.append("last lines of the verifier log:")
        out.extend("    " + s for s in tail)
    return VerifierError("\n".join(out), log, program, fname, lineno,
                         col if lineno is not None else None)


def load_error(err: int, what: str, messages: Iterable[str]) -> LoadError:
    """A :class:`LoadError` quoting libbpf's messages."""
    msgs = [m.rstrip().removeprefix("libbpf: ") for m in messages if m.strip()]
    text = f"cannot {what}: {_strerror(err)}"
    if msgs:
        text += "\n" + "\n".join("libbpf: " + m for m in msgs[-12:])
    return LoadError(text)


def btf_refused(messages: Iterable[str]) -> LoadError | None:
    """The error for an object whose BTF the kernel refused, or None.

    libbpf then loads the object without BTF ("BTF is optional, ignoring"): no line info
    (verifier errors lose their Python line), no BTF-described map types, no record types.
    A degraded object that seems to work hides the bug, so ebpfpy refuses it and quotes the
    kernel's reason (the last line of the BTF load log, e.g. ``[18] FUNC r-n ... Invalid name``).
    """
    msgs = list(messages)
    if not any("BTF is optional" in m for m in msgs):
        return None
    reason = ""
    for m in msgs:
        if "BEGIN BTF LOAD LOG" in m:
            lines = [ln.strip() for ln in m.split("-- END BTF LOAD LOG")[0].splitlines() if ln.strip()]
            reason = lines[-1] if lines else ""
    return LoadError(
        "the kernel refused the object's BTF" + (f": {reason}" if reason else "")
        + "\nnote: libbpf would load the object without it (no line info for verifier errors, no "
          "BTF map or record types); ebpfpy refuses instead. An object ebpfpy compiled always has "
          "BTF this kernel takes: please report this with the source; for an object from "
          "elsewhere, check its .BTF with `bpftool btf dump file OBJECT`")


def _strerror(err: int) -> str:
    return {524: "operation not supported by the kernel (ENOTSUPP)"}.get(err, os.strerror(err)) \
        + f" (errno {err})"


# ------------------------------------------------------------------ permissions
_CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21, "CAP_PERFMON": 38, "CAP_BPF": 39}
_TRACING = ("kprobe", "kretprobe", "uprobe", "uretprobe", "tracepoint", "tp/", "raw_tp",
            "raw_tracepoint", "tp_btf", "fentry", "fexit", "fmod_ret", "lsm", "perf_event", "iter")
_NETWORK = ("xdp", "tc", "classifier", "action", "socket", "cgroup", "sk_", "sockops", "flow")


def effective_caps() -> int:
    """This process's effective capability mask (``CapEff`` in /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def needed_caps(sections: Iterable[str]) -> list[str]:
    """The capabilities loading programs of these sections needs (besides CAP_SYS_ADMIN)."""
    need = ["CAP_BPF"]
    secs = list(sections)
    if any(s.startswith(_TRACING) for s in secs):
        need.append("CAP_PERFMON")
    if any(s.startswith(_NETWORK) for s in secs):
        need.append("CAP_NET_ADMIN")
    return need


def permission_error(err: int, what: str, sections: Iterable[str]) -> PermissionError:
    """A ``PermissionError`` that names the missing capabilities."""
    caps = effective_caps()
    need = needed_caps(sections)
    missing = [c for c in need if not caps >> _CAPS[c] & 1]
    if caps >> _CAPS["CAP_SYS_ADMIN"] & 1 and not missing:
        detail = "the process has the capabilities; a security module or " \
                 "kernel.unprivileged_bpf_disabled may refuse it"
    else:
        missing = missing or need
        detail = f"missing {', '.join(missing)} (or CAP_SYS_ADMIN); run as root or grant " \
                 f"them, e.g. `sudo setcap {','.join(c.lower() for c in missing)}+ep`"
    return PermissionError(err or errno.EPERM, f"bpf() refused to {what}: {detail}")
