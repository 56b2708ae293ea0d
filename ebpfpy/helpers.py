"""BPF helper functions (LANGUAGE.md §6), callable from BPF code.

In CPython these are deterministic stand-ins so a module imports and its logic can be
exercised by ``ebpfpy.testing``; the compiler turns each call into the kernel helper.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable

_prandom_state = [0x12345678]


def ktime_get_ns() -> int:
    """``bpf_ktime_get_ns``: monotonic clock in nanoseconds."""
    return time.monotonic_ns()


def ktime_get_boot_ns() -> int:
    """``bpf_ktime_get_boot_ns``: boot-time clock in nanoseconds."""
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def get_current_pid_tgid() -> int:
    """``bpf_get_current_pid_tgid``: ``tgid << 32 | pid``."""
    return (os.getpid() << 32) | threading.get_native_id()


def get_current_uid_gid() -> int:
    """``bpf_get_current_uid_gid``: ``gid << 32 | uid``."""
    return (os.getgid() << 32) | os.getuid()


def get_current_comm() -> list[int]:
    """``bpf_get_current_comm``: the task's name as ``u8[16]``."""
    try:
        with open("/proc/self/comm", "rb") as f:
            name = f.read().strip()[:15]
    except OSError:
        name = b"python"
    return list(name.ljust(16, b"\0"))


def get_smp_processor_id() -> int:
    """``bpf_get_smp_processor_id``."""
    return 0


def get_prandom_u32() -> int:
    """``bpf_get_prandom_u32`` (a fixed xorshift sequence in CPython)."""
    x = _prandom_state[0]
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    _prandom_state[0] = x
    return x


def printk(fmt: str, *args: int) -> int:
    """``bpf_trace_printk`` to trace_pipe (literal format; up to 3 values, or up to 12
    through ``bpf_trace_vprintk``); ``%s`` prints a ``u8`` array up to its first NUL."""
    shown = tuple(bytes(a).split(b"\0", 1)[0].decode("latin-1") if isinstance(a, list) else a
                  for a in args)
    print(fmt % shown if args else fmt)
    return 0


def probe_read_kernel(dst: Any, src: Any) -> int:
    """``bpf_probe_read_kernel(dst, sizeof(dst), src)``."""
    return -14


def probe_read_user(dst: Any, src: Any) -> int:
    """``bpf_probe_read_user(dst, sizeof(dst), src)``."""
    return -14


def probe_read_kernel_str(dst: Any, src: Any) -> int:
    """``bpf_probe_read_kernel_str(dst, sizeof(dst), src)``."""
    return -14


def probe_read_user_str(dst: Any, src: Any) -> int:
    """``bpf_probe_read_user_str(dst, sizeof(dst), src)``."""
    return -14


def copy_from_user(dst: Any, src: Any) -> int:
    """``bpf_copy_from_user(dst, sizeof(dst), src)``: may fault the user page in, so only
    sleepable programs (``uprobe.s/...``, ``iter.s/...``, ``syscall``) call it."""
    return -14


def copy_from_user_task(dst: Any, src: Any, task: Any) -> int:
    """``bpf_copy_from_user_task(dst, sizeof(dst), src, task, 0)``: another task's user
    memory (``task`` a BTF ``task_struct`` reference); sleepable programs only."""
    return -14


def loop(n: int, fn: Callable[[int, Any], int], ref: Any) -> int:
    """``bpf_loop``: call ``fn(i, ref)`` for i in 0..n-1 until it returns 1; the number of calls."""
    calls = 0
    for i in range(n):
        calls += 1
        if fn(i, ref) == 1:
            break
    return calls


def iter_num(start: int, end: int) -> range:
    """``for i in iter_num(a, b)``: an open-coded iterator (``bpf_iter_num_*`` kfuncs, Linux
    6.4+) over the ``i32`` values a..b-1; empty when ``b < a`` or ``b - a > 2**23``."""
    return range(start, end) if 0 <= end - start <= 1 << 23 else range(0)


def ntohs(x: int) -> int:
    """Network (big-endian) to host order for a ``u16``: a byte swap on little-endian hosts."""
    return int.from_bytes((x & 0xFFFF).to_bytes(2, "big"), sys.byteorder)


def htons(x: int) -> int:
    """Host to network (big-endian) order for a ``u16``."""
    return ntohs(x)


def ntohl(x: int) -> int:
    """Network (big-endian) to host order for a ``u32``: a byte swap on little-endian hosts."""
    return int.from_bytes((x & 0xFFFFFFFF).to_bytes(4, "big"), sys.byteorder)


def htonl(x: int) -> int:
    """Host to network (big-endian) order for a ``u32``."""
    return ntohl(x)


def get_current_task() -> int:
    """``bpf_get_current_task``: the current ``task_struct`` address as an integer."""
    return 0


def get_current_task_btf() -> Any:
    """``bpf_get_current_task_btf``: the current ``task_struct`` as a BTF pointer, whose
    fields BPF code reads directly (``task.real_parent.tgid``); None in CPython."""
    return None


def seq_printf(seq: Any, fmt: str, *args: Any) -> int:
    """``bpf_seq_printf(ctx.meta.seq, fmt, ...)`` in iterator programs (at most 12 values;
    ``%s`` takes a ``u8[N]`` array)."""
    print(fmt % args if args else fmt, end="")
    return 0


def seq_write(seq: Any, data: Any) -> int:
    """``bpf_seq_write(ctx.meta.seq, data)``: append the bytes of a struct or array."""
    return 0


def field_exists(field: Any) -> bool:
    """CO-RE: whether the target kernel has this field (``helpers.field_exists(task.x)``);
    libbpf answers at load time.  True in CPython."""
    return True


def field_size(field: Any) -> int:
    """CO-RE: the field's size in bytes on the target kernel."""
    return 0


def type_exists(kernel_type: Any) -> bool:
    """CO-RE: whether the target kernel has ``struct X`` (``helpers.type_exists(kernel.X)``)."""
    return True


def type_size(kernel_type: Any) -> int:
    """CO-RE: ``sizeof(struct X)`` on the target kernel."""
    return 0


def obj_new(struct_class: Any) -> Any:
    """``bpf_obj_new(T)``: a zeroed ``T`` the program owns, or None when memory is short.
    The program must give it back with :func:`obj_drop` or store it (a ``Kptr`` field, a
    tree, a list) on every path."""
    return struct_class()


def obj_drop(obj: Any) -> None:
    """``bpf_obj_drop(n)``: free an object from :func:`obj_new`."""
    return None


def kptr_xchg(slot: Any, obj: Any) -> Any:
    """``bpf_kptr_xchg(&v.slot, n)``: store ``n`` (or None) in a map value's ``Kptr`` field
    and return what it held.  A field cannot be swapped through its value in CPython: run
    the program with ``ebpfpy.testing.Simulator``, which follows the field itself."""
    raise TypeError("helpers.kptr_xchg swaps a map value's field: run the program with "
                    "ebpfpy.testing.Simulator or in the kernel")
