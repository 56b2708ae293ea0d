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


def field_offset(field: Any) -> int:
    """CO-RE: the field's byte offset in its struct on the target kernel (C's ``offsetof``;
    ``container_of`` subtracts it)."""
    return 0


def type_exists(kernel_type: Any) -> bool:
    """CO-RE: whether the target kernel has ``struct X`` (``helpers.type_exists(kernel.X)``)."""
    return True


def type_size(kernel_type: Any) -> int:
    """CO-RE: ``sizeof(struct X)`` on the target kernel."""
    return 0


def enum_value(enumerator: Any) -> int:
    """CO-RE: the loading kernel's value of a ``@kernel_enum`` enumerator
    (``helpers.enum_value(pid_type.PIDTYPE_TGID)``); the declared value in CPython."""
    return int(enumerator)


def enum_value_exists(enumerator: Any) -> bool:
    """CO-RE: whether the loading kernel's enum has the enumerator.  True in CPython."""
    return True


def obj_new(struct_class: Any) -> Any:
    """``bpf_obj_new(T)``: a zeroed ``T`` the program owns, or None when memory is short.
    The program must give it back with :func:`obj_drop` or store it (a ``Kptr`` field, a
    tree, a list) on every path."""
    return struct_class()


def obj_drop(obj: Any) -> None:
    """``bpf_obj_drop(n)``: free an object from :func:`obj_new`."""
    return None


def refcount_acquire(obj: Any) -> Any:
    """``bpf_refcount_acquire(n)``: one more owned reference to a reference-counted object
    (a ``@struct`` with a ``Refcount`` field), or None; ``n`` is still the caller's.  Each
    reference is dropped or stored on its own, e.g. one in a tree and one in a list."""
    return obj


def percpu_obj_new(struct_class: Any) -> Any:
    """``bpf_percpu_obj_new(T)``: a zeroed ``T`` for each CPU, owned by the program, or None.
    Its fields are not reachable until it is stored in a ``PerCpuKptr`` field
    (:func:`kptr_xchg`); it is freed with :func:`percpu_obj_drop`."""
    return [struct_class()]


def percpu_obj_drop(obj: Any) -> None:
    """``bpf_percpu_obj_drop(p)``: free an object from :func:`percpu_obj_new`."""
    return None


def this_cpu_ptr(slot: Any) -> Any:
    """``bpf_this_cpu_ptr(v.slot)``: this CPU's copy of the per-CPU object in a map value's
    ``PerCpuKptr`` field, or None when the field is empty."""
    raise TypeError("helpers.this_cpu_ptr reads a map value's PerCpuKptr field: run the "
                    "program with ebpfpy.testing.Simulator or in the kernel")


def per_cpu_ptr(slot: Any, cpu: int) -> Any:
    """``bpf_per_cpu_ptr(v.slot, cpu)``: CPU ``cpu``'s copy of the per-CPU object in a map
    value's ``PerCpuKptr`` field, or None (an empty field, or no such CPU)."""
    raise TypeError("helpers.per_cpu_ptr reads a map value's PerCpuKptr field: run the "
                    "program with ebpfpy.testing.Simulator or in the kernel")


def kptr_xchg(slot: Any, obj: Any) -> Any:
    """``bpf_kptr_xchg(&v.slot, n)``: store ``n`` (or None) in a map value's ``Kptr`` field
    and return what it held.  A field cannot be swapped through its value in CPython: run
    the program with ``ebpfpy.testing.Simulator``, which follows the field itself."""
    raise TypeError("helpers.kptr_xchg swaps a map value's field: run the program with "
                    "ebpfpy.testing.Simulator or in the kernel")


def _atomic(name: str, doc: str) -> Callable[..., Any]:
    def op(place: Any, *values: int) -> Any:
        raise TypeError(f"helpers.{name} changes the integer in memory its first argument "
                        "names (a global, or a field or element of a map value or struct): "
                        "run the program with ebpfpy.testing.Simulator or in the kernel")
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


# One BPF atomic instruction each, on a u32/u64/i32/i64 in memory (a global, a field or
# element of a map value or struct): ``helpers.atomic_add(total, 1)``,
# ``old = helpers.atomic_cmpxchg(r.owner, 0, tid)``.  The place is passed by name, which
# CPython cannot do: these raise TypeError there (the Simulator runs them).
atomic_add = _atomic("atomic_add", "``*place += v`` atomically (``lock *place += v``); no value.")
atomic_sub = _atomic("atomic_sub", "``*place -= v`` atomically; no value.")
atomic_and = _atomic("atomic_and", "``*place &= v`` atomically; no value.")
atomic_or = _atomic("atomic_or", "``*place |= v`` atomically; no value.")
atomic_xor = _atomic("atomic_xor", "``*place ^= v`` atomically; no value.")
atomic_fetch_add = _atomic("atomic_fetch_add", "``*place += v`` atomically; the old value.")
atomic_fetch_sub = _atomic("atomic_fetch_sub", "``*place -= v`` atomically; the old value.")
atomic_fetch_and = _atomic("atomic_fetch_and", "``*place &= v`` atomically; the old value.")
atomic_fetch_or = _atomic("atomic_fetch_or", "``*place |= v`` atomically; the old value.")
atomic_fetch_xor = _atomic("atomic_fetch_xor", "``*place ^= v`` atomically; the old value.")
atomic_xchg = _atomic("atomic_xchg", "Store ``v`` in ``place`` atomically; the old value.")
atomic_cmpxchg = _atomic("atomic_cmpxchg", "``atomic_cmpxchg(place, expected, new)``: store "
                         "``new`` when ``place`` holds ``expected``; the old value either way "
                         "(it equals ``expected`` when the store happened).")


def _packet(name: str, doc: str) -> Callable[..., Any]:
    def op(*args: Any) -> int:
        raise TypeError(f"helpers.{name} works on the packet of a running program: run it in "
                        "the kernel (prog.test_run(data=...)) to see its effect")
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


# Packet helpers (docs/language.md "Packets").  Each returns 0 or a negative error; after one
# that moves or resizes the packet, references from ctx.load before it must be loaded again.
xdp_adjust_head = _packet("xdp_adjust_head", "``bpf_xdp_adjust_head(ctx, delta)``: move the "
                          "packet's start by ``delta`` bytes (negative: room for a new header).")
xdp_adjust_tail = _packet("xdp_adjust_tail", "``bpf_xdp_adjust_tail(ctx, delta)``: move the "
                          "packet's end by ``delta`` bytes (negative: trim).")
xdp_adjust_meta = _packet("xdp_adjust_meta", "``bpf_xdp_adjust_meta(ctx, delta)``: move the "
                          "metadata area's start (negative: room for metadata before the packet).")
skb_load_bytes = _packet("skb_load_bytes", "``bpf_skb_load_bytes(ctx, offset, dst)``: copy "
                         "``len(dst)`` packet bytes at ``offset`` into ``dst`` (a struct or array).")
skb_store_bytes = _packet("skb_store_bytes", "``bpf_skb_store_bytes(ctx, offset, src[, flags])``: "
                          "write ``src``'s bytes into the packet at ``offset`` (tc).")
l3_csum_replace = _packet("l3_csum_replace", "``bpf_l3_csum_replace(ctx, offset, old, new, size)``: "
                          "fix the checksum at ``offset`` for a 2- or 4-byte field changed from "
                          "``old`` to ``new`` (tc).")
l4_csum_replace = _packet("l4_csum_replace", "``bpf_l4_csum_replace(ctx, offset, old, new, flags)``: "
                          "the same for a TCP/UDP checksum; ``flags`` holds the size and "
                          "``BPF_F_PSEUDO_HDR`` for pseudo-header fields (tc).")
skb_change_tail = _packet("skb_change_tail", "``bpf_skb_change_tail(ctx, new_len[, flags])``: "
                          "grow or trim the packet to ``new_len`` bytes (tc).")
skb_change_head = _packet("skb_change_head", "``bpf_skb_change_head(ctx, head_room[, flags])``: "
                          "``head_room`` new bytes in front of the packet (tc).")
skb_adjust_room = _packet("skb_adjust_room", "``bpf_skb_adjust_room(ctx, len_diff, mode[, flags])``: "
                          "grow or shrink the room after the L2 (mode 1) or L3 (mode 0) header (tc).")
csum_diff = _packet("csum_diff", "``bpf_csum_diff(old, new[, seed])``: the checksum difference "
                    "between two buffers of 32-bit words (either may be None).")
