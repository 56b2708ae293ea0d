"""The kernel side of userspace: libbpf through cffi (ABI mode, the system ``libbpf.so.1``).

``BpfObject`` opens ELF bytes from memory and loads them; it exposes ``programs``
(:class:`Program`: ``test_run``, ``attach`` → :class:`Link`), ``maps`` (dict-like
:mod:`~ebpfpy.loader.maps` classes, :class:`RingBuf`, :class:`PerfEventArray`), ``globals``
and ``structs``.  Load failures become ``VerifierError``, ``PermissionError`` or ``LoadError``
(:mod:`~ebpfpy.loader.verifier`).  This package knows nothing of ``ast``: the compiler hands it
a ``CompiledModule`` with the source for error messages.
"""
from __future__ import annotations

from .links import BpfLink, IterLink, Link, SocketLink, TcLink
from .maps import (Array, CgroupArray, HashMap, Map, PerCpuArray, PerCpuMap, ProgArray,
                   StackTraceMap)
from .object import BpfObject
from .perfbuf import PerfEventArray
from .programs import Program, TestRunResult
from .ringbuf import RingBuf

__all__ = ["BpfObject", "Program", "TestRunResult", "Link", "BpfLink", "IterLink", "TcLink",
           "SocketLink", "Map", "HashMap", "Array", "PerCpuArray", "PerCpuMap", "ProgArray",
           "RingBuf", "PerfEventArray", "StackTraceMap", "CgroupArray"]
