"""Zero-copy NumPy views of mmapable BPF arrays (``Array(..., mmapable=True).view()``).

A ``BPF_F_MMAPABLE`` array maps its values from offset 0 of the map fd, each element taking
``round_up(value_size, 8)`` bytes (the kernel's ``elem_size``), so the view's first stride is
that and not the value size.
"""
from __future__ import annotations

import mmap
from typing import Any

from ..types import ArrayType, BoolType, BpfType, IntType, StructType


def array_view(fd: int, value_type: BpfType, value_size: int,
               max_entries: int) -> tuple[Any, mmap.mmap]:
    """``(ndarray, mmap)``: the array has shape ``(max_entries, *value_shape)`` and the mmap
    as its base, so the mapping lives as long as any view of it."""
    import numpy as np
    stride = (value_size + 7) // 8 * 8
    length = max(stride * max_entries, 1)
    length = (length + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE
    mm = mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    dtype, shape = numpy_layout(value_type)
    inner: list[int] = []
    step = dtype.itemsize
    for d in reversed(shape):
        inner.insert(0, step)
        step *= d
    arr = np.ndarray((max_entries, *shape), dtype=dtype, buffer=mm, strides=(stride, *inner))
    return arr, mm


def numpy_layout(t: BpfType) -> tuple[Any, tuple[int, ...]]:
    """``(dtype, shape)`` of a value type: integers, bools, arrays of them, simple structs."""
    import numpy as np
    if isinstance(t, ArrayType):
        dtype, inner = numpy_layout(t.elem)
        return dtype, (t.length, *inner)
    if isinstance(t, BoolType):
        return np.dtype(np.bool_), ()
    if isinstance(t, IntType):
        return np.dtype("<" + t.fmt), ()
    if isinstance(t, StructType):
        fields = {}
        for f in t.fields:
            dt, shape = numpy_layout(f.type)
            fields[f.name] = ((dt, shape) if shape else dt, f.offset)
        return np.dtype({"names": list(fields), "formats": [v[0] for v in fields.values()],
                         "offsets": [v[1] for v in fields.values()], "itemsize": t.size}), ()
    raise TypeError(f"no NumPy view of {t!r} values")
