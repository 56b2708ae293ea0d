"""Kernel ids of BPF objects held by fd, read from ``/proc/self/fdinfo`` (what ``bpftool
prog`` / ``bpftool map`` list): one reader for programs, maps and record buffers."""
from __future__ import annotations


def kernel_id(fd: int, field: str, what: str) -> int:
    """The ``field`` (``prog_id``, ``map_id``) of the fd's fdinfo entry; ``what`` names the
    object in the error when the kernel does not report one."""
    if fd < 0:
        raise OSError(f"{what}: closed (no fd)")
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{what}: the kernel reports no {field}")
