"""Maps pinned in bpffs, so that what a program left running outlives the Python process.

``BpfObject(..., pin_dir=D)`` gives every map the pin path ``D/NAME`` before loading: libbpf
then *reuses* a map already pinned there (when its type and sizes match) instead of creating
it, and pins the maps it created.  Loading the same object again with the same ``pin_dir``
therefore reattaches to the running state; :func:`remove_pins` lets it go.  A map lives while
a pin, a file descriptor or a program holds it; a timer in a map value is cancelled when the
map's last pin and file descriptor are gone (programs do not count).
"""
from __future__ import annotations

import os
from typing import Any

from .. import libbpf as L
from ..libbpf import ffi, lib


def pin_name(map_name: str) -> str:
    """The bpffs file name of a map: bpffs refuses names with dots (``ebpfpy.bss``) with EPERM."""
    return map_name.replace(".", "_")


def set_pin_paths(obj: Any, pin_dir: str) -> list[Any]:
    """Give every map of the opened (not yet loaded) libbpf object the path ``pin_dir/NAME``
    (NAME as :func:`pin_name` spells it).

    Returns the path buffers, which must stay alive until the object is loaded.
    """
    keep = []
    m = lib.bpf_object__next_map(obj, ffi.NULL)
    while m != ffi.NULL:
        path = ffi.new("char[]", os.path.join(pin_dir, pin_name(L.cstr(lib.bpf_map__name(m)))).encode())
        rc = lib.bpf_map__set_pin_path(m, path)
        if rc:
            raise OSError(-rc, f"cannot set the pin path of map {L.cstr(lib.bpf_map__name(m))}: "
                               f"{os.strerror(-rc)}")
        keep.append(path)
        m = lib.bpf_object__next_map(obj, m)
    return keep


def pinned(pin_dir: str) -> list[str]:
    """The names pinned in ``pin_dir`` (empty when it does not exist)."""
    try:
        return sorted(os.listdir(pin_dir))
    except FileNotFoundError:
        return []


def remove_pins(pin_dir: str) -> list[str]:
    """Unpin everything in ``pin_dir`` and remove the directory; the names removed.

    What only the pins kept alive (maps, and the timers in them) is freed by the kernel.
    """
    names = pinned(pin_dir)
    for name in names:
        os.unlink(os.path.join(pin_dir, name))
    if os.path.isdir(pin_dir):
        os.rmdir(pin_dir)
    return names
