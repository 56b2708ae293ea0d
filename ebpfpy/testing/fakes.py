"""Deterministic stand-ins for the kernel's helpers, so a simulated run is reproducible.

Every value is an attribute the test may set before a run: ``sim.env.pid = 42``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MASK64 = (1 << 64) - 1
_SPEC = re.compile(r"%([-+ #0]*)(\d*)(?:\.(\d+))?(ll|l|hh|h|z)?([a-zA-Z%])")


@dataclass
class FakeKernel:
    """The state behind the helpers.

    - ``ktime_get_ns()`` returns ``time_ns`` and then advances it by ``time_step_ns``
      (``ktime_get_boot_ns`` adds ``boot_offset_ns``);
    - ``get_current_pid_tgid()`` is ``tgid << 32 | pid``, ``get_current_uid_gid()``
      ``gid << 32 | uid``; ``get_current_comm()`` is ``comm`` padded to 16 bytes;
    - ``get_prandom_u32()`` is a xorshift32 sequence from ``prandom_seed``;
    - ``get_smp_processor_id()`` is ``cpu``;
    - ``probe_read_*`` copies from ``memory`` (``{address: bytes}``) or fails with -EFAULT;
    - ``copy_from_user``/``copy_from_user_task`` read the same model (every page counts as
      resident: the simulator does not model the faults that only sleepable programs take,
      and ``copy_from_user_task`` reads it whatever the task);
    - ``get_stackid``/``get_stack`` see ``kernel_stack`` (and ``user_stack`` with
      ``BPF_F_USER_STACK``), lists of addresses innermost first; an empty one is -EFAULT for
      ``get_stackid`` and 0 bytes for ``get_stack``;
    - ``current_task_under_cgroup`` compares ``cgroup`` (the current task's cgroup path) with
      the path stored in the CgroupArray slot: 1 when equal or below it.
    """

    pid: int = 1000
    tgid: int = 1000
    uid: int = 0
    gid: int = 0
    comm: bytes = b"python"
    cpu: int = 0
    time_ns: int = 1_000_000_000
    time_step_ns: int = 1000
    boot_offset_ns: int = 0
    prandom_seed: int = 0x12345678
    memory: dict[int, bytes] = field(default_factory=dict)
    kernel_stack: list[int] = field(default_factory=list)
    user_stack: list[int] = field(default_factory=list)
    cgroup: str = "/sys/fs/cgroup"

    def __post_init__(self) -> None:
        self._rand = self.prandom_seed or 1

    def ktime_get_ns(self) -> int:
        t = self.time_ns
        self.time_ns += self.time_step_ns
        return t & MASK64

    def ktime_get_boot_ns(self) -> int:
        return (self.ktime_get_ns() + self.boot_offset_ns) & MASK64

    def get_current_pid_tgid(self) -> int:
        return ((self.tgid & 0xFFFFFFFF) << 32) | (self.pid & 0xFFFFFFFF)

    def get_current_uid_gid(self) -> int:
        return ((self.gid & 0xFFFFFFFF) << 32) | (self.uid & 0xFFFFFFFF)

    def get_current_comm(self) -> list[int]:
        return list(bytes(self.comm)[:15].ljust(16, b"\0"))

    def get_smp_processor_id(self) -> int:
        return self.cpu

    def get_prandom_u32(self) -> int:
        x = self._rand
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._rand = x
        return x

    def stack(self, flags: int) -> list[int]:
        """The stack a stack helper sees for ``flags`` (BPF_F_USER_STACK = 1 << 8)."""
        return list(self.user_stack if flags & (1 << 8) else self.kernel_stack)

    def read_memory(self, addr: int, size: int) -> bytes | None:
        """``size`` bytes at ``addr`` from ``memory``, or None (the kernel's -EFAULT)."""
        for base, data in self.memory.items():
            if base <= addr and addr + size <= base + len(data):
                return bytes(data[addr - base:addr - base + size])
        return None


def format_printk(fmt: str, args: list[int | bytes]) -> str:
    """``bpf_trace_printk``'s rendering: every integer travels as 64 bits; ``%s`` prints
    the bytes of an array up to its first NUL."""
    it = iter(args)

    def one(m: re.Match) -> str:
        flags, width, prec, _len, conv = m.groups()
        if conv == "%":
            return "%"
        v = next(it, 0)
        if isinstance(v, bytes):
            text = v.split(b"\0", 1)[0].decode("latin-1")
            return ("%" + flags + width + "s") % text if conv == "s" else m.group(0)
        v = int(v)
        if conv in "di":
            v &= MASK64
            v = v - (1 << 64) if v & (1 << 63) else v
            conv = "d"
        elif conv in "uxX":
            v &= MASK64
            conv = "d" if conv == "u" else conv
        elif conv == "c":
            return chr(v & 0xFF)
        else:
            return m.group(0)
        spec = "%" + flags + width + (("." + prec) if prec else "") + conv
        return spec % v

    return _SPEC.sub(one, fmt)


def bswap(v: int, nbytes: int) -> int:
    return int.from_bytes((v & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little"), "big")

