"""Mutation fuzzing of BPF objects: corrupt a few bytes of a valid ELF, load it in a child.

A mutant is ``(offset, bytes)`` pairs written over a valid object.  Each one is opened and
loaded (``BpfObject``) in a forked child, so a segfault inside libbpf is a result rather than
the end of the fuzzer.  Acceptable outcomes: the object loads, or it is refused with
``LoadError``/``ValueError``/``PermissionError``.  Anything else -- a signal, another
exception type -- is a finding.  ``scripts/fuzz_objects.py`` runs campaigns; the CI test
``compiler_tests/test_object_fuzz.py`` runs a few hundred mutants and the kept crashers.
"""
from __future__ import annotations

import os
import random
import resource
import textwrap
from dataclasses import dataclass
from typing import Sequence

from ..api import compile_full
from ..errors import LoadError
from .. import libbpf as L
from ..libbpf import ffi, lib
from ..loader.object import BpfObject
from ..objfile import BpfElf, disasm
from ..objfile.validate import validate_object

# A module using what the loader meets in practice: every map kind, .bss/.data/.rodata
# globals, a ring buffer with a record type, structs, a subprogram, a loop and line info.
SEED_SOURCE = textwrap.dedent('''
    from ebpfpy import (bpf_program, bpf_function, struct, Array, HashMap, PerCpuArray,
                        RingBuf, ProgArray, helpers, u8, u32, u64, i32)

    @struct
    class Pos:
        x: u32
        y: i32

    @struct
    class Ev:
        pid: u32
        pos: Pos
        tag: u8[4]

    counts = Array(u64, 4)
    where = HashMap(u32, Pos, 8)
    per = PerCpuArray(u32, 2)
    grid = Array(u8[8], 2, mmapable=True)
    jumps = ProgArray(2)
    events = RingBuf(4096, event=Ev)
    total: u64 = 0
    limit: u32 = 5
    NAME: u32 = 7

    @bpf_function
    def bump(i: u32) -> u64:
        counts[i & 3] += 1
        return counts[i & 3]

    @bpf_program("syscall")
    def run(ctx: Pos) -> int:
        global total
        s: u64 = 0
        for i in range(4):
            s += bump(u32(i) + ctx.x)
        where[ctx.x] = Pos(x=ctx.x, y=ctx.y)
        per[0] += 1
        total += s
        events.output(Ev(pid=u32(helpers.get_current_pid_tgid() >> 32), pos=Pos(x=limit, y=1)))
        return 0
''')

OK_EXIT, OTHER_EXCEPTION_EXIT, SKIPPED_EXIT = 0, 3, 4
# A mutated map size can ask the kernel for gigabytes; the child loads only what is modest.
MAX_MAP_BYTES = 16 << 20


@dataclass(frozen=True)
class Mutant:
    """Bytes to write over the seed object: ``((offset, bytes), ...)``."""

    edits: tuple[tuple[int, bytes], ...]

    def apply(self, elf: bytes) -> bytes:
        """The corrupted object."""
        buf = bytearray(elf)
        for off, data in self.edits:
            buf[off:off + len(data)] = data
        return bytes(buf[:len(elf)])

    def __str__(self) -> str:
        return ", ".join(f"{off}:{data.hex()}" for off, data in self.edits)


def seed_object() -> bytes:
    """The compiled seed module."""
    return compile_full(source=SEED_SOURCE, filename="objfuzz_seed.py").elf


def mutate(rng: random.Random, elf: bytes) -> Mutant:
    """1 to 8 corrupted bytes: random values, 0, 0xff, or a small nudge of the old byte.

    Half the mutants hit the first 4 KiB plus the section header table, where the ELF and
    section headers, symbol table and BTF headers that libbpf trusts live.
    """
    edits = []
    shoff = int.from_bytes(elf[0x28:0x30], "little")
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.5 and 0 < shoff < len(elf):
            off = rng.choice([rng.randrange(min(len(elf), 4096)), rng.randrange(shoff, len(elf))])
        else:
            off = rng.randrange(len(elf))
        old = elf[off]
        new = rng.choice([rng.randrange(256), 0, 0xFF, (old + rng.choice([-1, 1, 8, 0x80])) & 0xFF])
        edits.append((off, bytes([new])))
    return Mutant(tuple(edits))


def _maps_are_modest(elf: bytes) -> bool:
    """False when libbpf's view of the object has a map too big to create for a test."""
    buf = ffi.from_buffer(elf)
    obj = lib.bpf_object__open_mem(buf, len(elf), ffi.NULL)
    if L.err_of(obj):
        return True                  # refused at open: nothing would be created
    try:
        m = lib.bpf_object__next_map(obj, ffi.NULL)
        while m != ffi.NULL:
            per_cpu = lib.bpf_map__type(m) in (L.MAP_PERCPU_ARRAY, L.MAP_PERCPU_HASH)
            entry = lib.bpf_map__key_size(m) + lib.bpf_map__value_size(m) + 64
            size = entry * max(lib.bpf_map__max_entries(m), 1) * (64 if per_cpu else 1)
            if size > MAX_MAP_BYTES:
                return False
            m = lib.bpf_object__next_map(obj, m)
        return True
    finally:
        lib.bpf_object__close(obj)


def _open_only(elf: bytes) -> None:
    """libbpf's parse of the object (``bpf_object__open_mem``), no kernel involved."""
    buf = ffi.from_buffer(elf)
    obj = lib.bpf_object__open_mem(buf, len(elf), ffi.NULL)
    if not L.err_of(obj):
        lib.bpf_object__close(obj)


def load_in_child(elf: bytes, kernel: bool = True, validate: bool = True) -> int:
    """Exit status of opening (and, with ``kernel``, loading) ``elf`` in a forked child.

    ``validate=False`` (with ``kernel=False``) skips our checks and only opens the object with
    libbpf, to find what libbpf itself crashes on.
    Without ``kernel`` the child stops after libbpf's open (no verifier, no feature probes;
    the crash sites found so far are all in the parse).  0: loaded or cleanly refused;
    3: another exception; 4: not loaded (maps too big); 128 + N: killed by signal N.
    """
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        code = OTHER_EXCEPTION_EXIT
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            code = _child(elf, kernel) if validate else _raw_open(elf)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _raw_open(elf: bytes) -> int:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)     # libbpf's own warnings
    _open_only(elf)
    return OK_EXIT


def _child(elf: bytes, kernel: bool) -> int:
    try:
        validate_object(elf)
        disasm(BpfElf(elf))                     # `ebpfpy disasm` must cope with it too
        if not kernel:
            _open_only(elf)
            return OK_EXIT
        if not _maps_are_modest(elf):
            return SKIPPED_EXIT
        BpfObject(elf, name="objfuzz").close()
    except (LoadError, ValueError, PermissionError):
        return OK_EXIT
    except BaseException as e:  # noqa: BLE001 - reported as a finding
        os.write(2, f"objfuzz: {type(e).__name__}: {e}\n".encode())
        return OTHER_EXCEPTION_EXIT
    return OK_EXIT


def run_mutants(elf: bytes, mutants: Sequence[Mutant]) -> list[tuple[Mutant, int]]:
    """Load each mutant in a child; the ones whose outcome was not acceptable."""
    bad = []
    for m in mutants:
        rc = load_in_child(m.apply(elf))
        if rc not in (OK_EXIT, SKIPPED_EXIT):
            bad.append((m, rc))
    return bad
