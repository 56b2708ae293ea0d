"""What the BPF backend would end the whole process on, found before code generation runs.

LLVM reports some failures in the BPF backend (an operation it cannot lower, a call to a
runtime library function, an atomic it has no instruction for) through ``report_fatal_error``
or an error diagnostic, and both end the process.  :func:`ir_hazard` looks for each construct
known to do that in optimised IR text; code generation runs in process only when it finds
none (see :func:`ebpfpy.lower.target.emit_object_isolated`).  The list is conservative: a
construct that the backend might or might not lower counts as a hazard, and costs a fork.

The one failure no IR screen can see is a stack frame past 512 bytes, made of spills that
exist only after register allocation.  The backend's own check is lifted
(``-bpf-stack-size``) and :func:`stack_depth` reads the frame size from the object instead.
"""
from __future__ import annotations

import re
import struct

# intrinsics ebpfpy's IR and LLVM's optimisations of it produce, all lowered by the backend;
# llvm.mem* is checked separately (a long one becomes a call to memcpy)
_SAFE_INTRINSICS = re.compile(
    r"llvm\.(dbg|lifetime|bpf|preserve|umin|umax|smin|smax|abs|assume|bswap|ctpop|ctlz|cttz|"
    r"fshl|fshr|experimental\.noalias\.scope\.decl|compiler\.used)\b")
_QUOTED = re.compile(r'"[^"]*"')
_WIDE_INT = re.compile(r"\bi(?:6[5-9]|[7-9]\d|[1-9]\d{2,})\b")
_FLOAT = re.compile(r"\b(half|bfloat|float|double|fp128|x86_fp80|ppc_fp128)\b")
_VECTOR = re.compile(r"<\s*(vscale\s+x\s+)?\d+\s+x\s")
_SIGNED_DIV = re.compile(r"=\s*(sdiv|srem)\b")
_DYN_ALLOCA = re.compile(r"=\s*alloca\b[^,]*,\s*i\d+\s+%")
_ATOMICRMW = re.compile(r"\batomicrmw\s+(?:volatile\s+)?(\w+)\s+ptr\s+[^,]+,\s+(\S+)")
_CMPXCHG = re.compile(r"\bcmpxchg\s+(?:weak\s+)?(?:volatile\s+)?ptr\s+[^,]+,\s+(\S+)")
_KFUNC = re.compile(r'^declare\b[^@\n]*@"?([\w.$]+)"?\(.*\bsection\s+"\.ksyms"', re.M)
_CALL = re.compile(r"\bcall\b[^@]*@([\w.$]+)\(")
_CALL_ANY_LINE = re.compile(r"\bcall\b[^@\n]*@([\w.$]+)\(")     # _CALL over many lines at once
_MEM_CALL = re.compile(r"\bcall\b[^@]*@llvm\.mem(?:cpy|move|set)(?:\.inline)?\.[\w.]+\((.*)\)")
_MEM_LENGTH = re.compile(r",\s*i(?:32|64)\s+(-?\d+)\s*,\s*i1\s+\w+\s*$")
_AGGREGATE_RET = re.compile(r"^define\b[^@]*?\s[{\[<][^@]*@")
_VARARGS = re.compile(r"^define\b.*\.\.\.\)")
_ATOMIC_OPS = {"add", "and", "or", "xor", "xchg"}
# _WIDE_INT with its literal first (Python's re then skips ahead to each "i"); a match only
# sends the text to the line-by-line scan, where _WIDE_INT decides
_WIDE_INT_FAST = re.compile(r"i(?:6[5-9]|[7-9]\d|[1-9]\d{2,})\b")
# the backend copies a constant-length memcpy/memset of up to this many bytes inline, at any
# alignment (LLVM 22, measured); a longer one becomes a call to memcpy, which BPF cannot make
MAX_INLINE_MEM_BYTES = 1024


# A BPF jump offset is 16 bits: a branch across more than 32,767 instructions makes the
# backend abort ("Branch target out of insn range").  An IR instruction is at least about
# one BPF instruction, so a function this long may hold such a branch: code generation forks.
LONG_FUNCTION_IR = 8_000


def function_sizes(ir_text: str) -> dict[str, int]:
    """The number of instruction lines of each function defined in ``ir_text``."""
    sizes: dict[str, int] = {}
    current = None
    for line in ir_text.splitlines():
        if line.startswith("define"):
            name = re.search(r'@"?([\w.$]+)"?\(', line)
            current = name.group(1) if name else None
            if current:
                sizes[current] = 0
        elif line.startswith("}"):
            current = None
        elif current and line[:1] in (" ", "\t") and "=" in line or current and line.lstrip().startswith(
                ("store", "br ", "call", "ret", "switch")):
            sizes[current] += 1
    return sizes


def ir_hazard(ir_text: str) -> str | None:
    """The first construct in ``ir_text`` the BPF backend may stop the process on, or None."""
    sizes = function_sizes(ir_text)
    defined = set(sizes) | set(_KFUNC.findall(ir_text))   # kfuncs: calls libbpf resolves
    for name, n in sizes.items():
        if n > LONG_FUNCTION_IR:
            return f"a function of {n} instructions ({name}: a branch may pass the jump range)"
    # types, globals, metadata, the datalayout and declarations generate no code
    code = [raw for raw in ir_text.splitlines()
            if raw[:1] in (" ", "\t") or raw.startswith("define")]
    lines = [(_QUOTED.sub('""', raw) if '"' in raw else raw, raw) for raw in code]
    if _maybe_in(code, "\n".join([line for line, _ in lines])):
        for line, raw in lines:                 # the first hazard in the text, line by line
            found = _line_hazard(line, raw, defined)
            if found:
                return found
        return None
    # none of the checks but the calls' and the headers' can match: only those lines remain;
    # when every callee in the text is safe, only the headers (sortnet's 128 intrinsic calls
    # took a regex search each)
    raw_text = "\n".join(code).replace('"', "")
    if "@llvm.mem" not in raw_text and all(
            _SAFE_INTRINSICS.match(c) if c.startswith("llvm.") else c in defined
            for c in set(_CALL_ANY_LINE.findall(raw_text))):
        lines = [(line, raw) for line, raw in lines if line.startswith("define")]
    for line, raw in lines:
        if line.startswith("define"):
            found = _line_hazard(line, raw, defined)
        elif "call" in line:
            found = _call_hazard(raw, defined)
        else:
            continue
        if found:
            return found
    return None


def _maybe_in(code: list[str], text: str) -> bool:
    """Whether a check other than the calls' may match a line of ``text`` (the code with its
    quoted names blanked).  Each regex searches the whole text at most once, behind a plain
    substring test where it has a literal part: a search per line per check took 1.8 ms on
    sortnet's optimised IR, most of its screening."""
    if any(w in text for w in ("half", "float", "double", "fp128", "fp80")) and _FLOAT.search(text):
        return True
    if "atomicrmw" in text or "cmpxchg" in text or "sdiv" in text or "srem" in text:
        return True
    if "<" in text and _VECTOR.search(text):
        return True
    if "alloca" in text and _DYN_ALLOCA.search(text):
        return True
    return bool(_WIDE_INT_FAST.search(text))


def _line_hazard(line: str, raw: str, defined: set[str]) -> str | None:
    if line.startswith("declare"):
        return None                             # a declaration generates no code itself
    if _WIDE_INT.search(line):
        return "an integer wider than 64 bits"
    if _FLOAT.search(line):
        return "a floating-point value"
    if _VECTOR.search(line):
        return "a vector value"
    if line.startswith("define"):
        if _AGGREGATE_RET.search(line):
            return "a function returning an aggregate"
        if _VARARGS.search(line):
            return "a variadic function"
        return None
    if _SIGNED_DIV.search(line):
        return "a signed division"
    if _DYN_ALLOCA.search(line):
        return "a stack allocation of runtime size"
    m = _ATOMICRMW.search(line)
    if m and (m.group(1) not in _ATOMIC_OPS or m.group(2) not in ("i32", "i64")):
        return f"an atomic {m.group(1)} on {m.group(2)}"
    m = _CMPXCHG.search(line)
    if m and m.group(1) not in ("i32", "i64"):
        return f"a compare-and-exchange on {m.group(1)}"
    if "call" in line:
        return _call_hazard(raw, defined)
    return None


def _call_hazard(raw: str, defined: set[str]) -> str | None:
    line = raw.replace('"', "")
    m = _MEM_CALL.search(line)
    if m:
        return _mem_hazard(m.group(1))
    for callee in _CALL.findall(line):
        if callee.startswith("llvm."):
            if not _SAFE_INTRINSICS.match(callee):
                return f"the intrinsic {callee}"
        elif callee not in defined:
            return f"a call to the external function {callee}"
    return None


def _mem_hazard(args: str) -> str | None:
    """A memcpy/memmove/memset that the backend would turn into a library call."""
    length = _MEM_LENGTH.search(args)
    if length is None:
        return "a memory copy of runtime length"
    if not 0 <= int(length.group(1)) <= MAX_INLINE_MEM_BYTES:
        return f"a memory copy of {length.group(1)} bytes"
    return None


# ---------------------------------------------------------------------------------- stack
_LD, _LDX, _ST, _STX, _ALU, _JMP, _JMP32, _ALU64 = range(8)     # instruction classes
_MOV64_X, _ADD64_K = 0xBF, 0x07
_FP = 10                                        # r10, the read-only frame pointer
SHF_EXECINSTR = 0x4


def stack_depth(elf: bytes) -> int:
    """The deepest stack offset (bytes below r10) any function of ``elf`` touches.

    LLVM reaches the frame in two forms only: a load or store at ``r10 - N``, and an address
    made by ``rX = r10; rX += -N``.  Both are read from every executable section."""
    deepest = 0
    for code in _exec_sections(elf):
        from_fp: set[int] = set()               # registers holding r10 unchanged
        for pos in range(0, len(code) - 7, 8):
            op, regs, off, imm = struct.unpack_from("<BBhi", code, pos)
            dst, src, cls = regs & 0xF, regs >> 4, op & 0x7
            if cls == _LDX and src == _FP or cls in (_ST, _STX) and dst == _FP:
                deepest = max(deepest, -off)
            if op == _MOV64_X and src == _FP:
                from_fp.add(dst)
                continue
            if op == _ADD64_K and dst in from_fp:
                deepest = max(deepest, -imm)
            if cls in (_LD, _LDX, _ALU, _ALU64):
                from_fp.discard(dst)            # any other write ends the pairing
            elif cls in (_JMP, _JMP32):
                from_fp.clear()
    return deepest


def _exec_sections(elf: bytes) -> list[bytes]:
    """The bytes of each executable section of a little-endian ELF64 object."""
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    out = []
    for i in range(shnum):
        base = shoff + i * shentsize
        _, _, flags, _, offset, size = struct.unpack_from("<IIQQQQ", elf, base)
        if flags & SHF_EXECINSTR and size:
            out.append(elf[offset:offset + size])
    return out
