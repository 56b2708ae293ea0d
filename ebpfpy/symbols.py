"""Turning stack addresses into function names, as ``profile`` and ``offcputime`` print them.

- Kernel addresses through ``/proc/kallsyms`` (sorted once; a lookup is a bisection).  With
  ``kernel.kptr_restrict`` hiding addresses (all zero, as for a non-root reader) nothing
  resolves, and :class:`KernelSymbols` says so with ``available``.
- User addresses through the process's ``/proc/PID/maps`` and the mapped ELF files' ``.symtab``
  and ``.dynsym`` (pyelftools).  An address maps to a file offset through its mapping
  (``addr - start + offset``), then to the ELF's virtual address through the ``PT_LOAD``
  segment holding that offset; this handles PIE executables and shared libraries alike,
  wherever ASLR put them.  Read the maps while the process lives: :class:`UserSymbols` reads
  them when made.

``Symbol.__str__`` gives ``name+0xoff`` (``[module]`` appended for kernel modules, the file's
base name for user code); :func:`symbolize` renders a whole stack.
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from typing import Iterable

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

KERNEL_START = 0xFFFF800000000000        # x86-64 and arm64: the upper half is the kernel's


@dataclass(frozen=True)
class Symbol:
    """A resolved address: the function, the offset into it, and where it lives."""

    name: str
    offset: int
    where: str = ""          # kernel module name, or the user ELF's base name

    def __str__(self) -> str:
        tail = f" [{self.where}]" if self.where else ""
        return f"{self.name}+{self.offset:#x}{tail}"


class KernelSymbols:
    """``/proc/kallsyms`` as a sorted table of text symbols."""

    def __init__(self, path: str = "/proc/kallsyms") -> None:
        starts: list[int] = []
        names: list[tuple[str, str]] = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or parts[1] not in "tTwW":
                    continue
                starts.append(int(parts[0], 16))
                names.append((parts[2], parts[3].strip("[]") if len(parts) > 3 else ""))
        order = sorted(range(len(starts)), key=starts.__getitem__)
        self._starts = [starts[i] for i in order]
        self._names = [names[i] for i in order]
        self.available = any(self._starts)

    def resolve(self, addr: int) -> Symbol | None:
        """The text symbol at or before ``addr``, or None."""
        if not self.available:
            return None
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        name, module = self._names[i]
        return Symbol(name, addr - self._starts[i], module)


@dataclass(frozen=True)
class _Mapping:
    start: int
    end: int
    offset: int
    path: str


class _ElfSymbols:
    """One ELF file's function symbols and its PT_LOAD segments."""

    def __init__(self, path: str) -> None:
        self.segments: list[tuple[int, int, int]] = []      # (file offset, size, vaddr)
        funcs: dict[int, tuple[bytes, int, int]] = {}       # start -> (strtab, name, size)
        with open(path, "rb") as f:
            elf = ELFFile(f)
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_LOAD":
                    self.segments.append((seg["p_offset"], seg["p_filesz"], seg["p_vaddr"]))
            fast = elf.elfclass == 64 and elf.little_endian
            for secname in (".dynsym", ".symtab"):      # .symtab wins where both name one
                sec = elf.get_section_by_name(secname)
                if sec is None or not hasattr(sec, "iter_symbols"):
                    continue
                if fast:
                    _raw_functions(sec.data(), elf.get_section(sec["sh_link"]).data(), funcs)
                    continue
                for sym in sec.iter_symbols():
                    if sym["st_info"]["type"] in ("STT_FUNC", "STT_GNU_IFUNC") and sym["st_value"]:
                        funcs[sym["st_value"]] = (sym.name.encode() + b"\0", 0, sym["st_size"])
        self._starts = sorted(funcs)
        self._funcs = [funcs[a] for a in self._starts]

    def vaddr(self, file_offset: int) -> int | None:
        for off, size, va in self.segments:
            if off <= file_offset < off + max(size, 1):
                return file_offset - off + va
        return None

    def resolve(self, vaddr: int) -> tuple[str, int] | None:
        i = bisect.bisect_right(self._starts, vaddr) - 1
        if i < 0:
            return None
        strtab, at, size = self._funcs[i]
        off = vaddr - self._starts[i]
        if size and off >= size:
            return None                   # past the function's end: in a gap
        name = strtab[at:strtab.find(b"\0", at)].decode("utf-8", "replace")
        return name, off


_ELF_CACHE: dict[tuple[int, int, int, int], _ElfSymbols] = {}
_ELF_CACHE_MAX = 256


def _shared_elf(path: str) -> _ElfSymbols:
    """The symbols of the file at ``path``, read once per file (device, inode, size, mtime)
    in this process: a profiler meets the same libc and interpreter in every process."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    hit = _ELF_CACHE.get(key)
    if hit is None:
        if len(_ELF_CACHE) >= _ELF_CACHE_MAX:
            _ELF_CACHE.clear()
        hit = _ELF_CACHE[key] = _ElfSymbols(path)
    return hit


_STT_FUNC, _STT_GNU_IFUNC = 2, 10
_SYM64_DTYPE = [("name", "<u4"), ("info", "u1"), ("other", "u1"), ("shndx", "<u2"),
                ("value", "<u8"), ("size", "<u8")]          # Elf64_Sym


def _raw_functions(symtab: bytes, strtab: bytes, funcs: dict[int, tuple[bytes, int, int]]) -> None:
    """The function symbols of a little-endian ELF64 symbol table, filtered with NumPy
    (pyelftools builds an object per symbol: seconds for libpython's tens of thousands).
    Names stay offsets into ``strtab`` until a lookup needs one."""
    import numpy as np                  # lazy: only symbolization pays for importing it
    dtype = np.dtype(_SYM64_DTYPE)
    syms = np.frombuffer(symtab, dtype=dtype, count=len(symtab) // dtype.itemsize)
    kind = syms["info"] & 0xF
    sel = syms[((kind == _STT_FUNC) | (kind == _STT_GNU_IFUNC)) & (syms["value"] != 0)]
    for name, value, size in zip(sel["name"].tolist(), sel["value"].tolist(),
                                 sel["size"].tolist()):
        funcs[value] = (strtab, name, size)


class UserSymbols:
    """The executable mappings of process ``pid`` and their ELF symbols (read when made)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._maps: list[_Mapping] = []
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split(maxsplit=5)
                if len(parts) < 6 or "x" not in parts[1] or not parts[5].startswith("/"):
                    continue
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                self._maps.append(_Mapping(lo, hi, int(parts[2], 16), parts[5].rstrip("\n")))
        self._maps.sort(key=lambda m: m.start)
        self._elves: dict[str, _ElfSymbols | None] = {}

    def _elf(self, path: str) -> _ElfSymbols | None:
        if path not in self._elves:
            try:
                # through the process's root, so a file replaced since still resolves
                self._elves[path] = _shared_elf(f"/proc/{self.pid}/root{path}")
            except (OSError, ELFError):
                try:
                    self._elves[path] = _shared_elf(path)
                except (OSError, ELFError):
                    self._elves[path] = None
        return self._elves[path]

    def resolve(self, addr: int) -> Symbol | None:
        """The function holding ``addr`` in this process, or None."""
        i = bisect.bisect_right([m.start for m in self._maps], addr) - 1
        if i < 0 or addr >= self._maps[i].end:
            return None
        m = self._maps[i]
        elf = self._elf(m.path)
        if elf is None:
            return None
        va = elf.vaddr(addr - m.start + m.offset)
        hit = elf.resolve(va) if va is not None else None
        if hit is None:
            return None
        return Symbol(hit[0], hit[1], os.path.basename(m.path))


def symbolize(addrs: Iterable[int], kernel: KernelSymbols | None = None,
              user: UserSymbols | None = None) -> list[str]:
    """One line per address: ``name+0xoff`` where it resolves, else the address in hex."""
    out = []
    for a in addrs:
        table = kernel if a >= KERNEL_START else user
        sym = table.resolve(a) if table is not None else None
        out.append(str(sym) if sym is not None else f"{a:#x}")
    return out
