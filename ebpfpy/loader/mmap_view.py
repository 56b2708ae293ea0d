"""Zero-copy NumPy views of mmapable BPF arrays (``Array(..., mmapable=True).view()``).

A ``BPF_F_MMAPABLE`` array maps its values from offset 0 of the map fd, each element taking
``round_up(value_size, 8)`` bytes (the kernel's ``elem_size``), so the view's first stride is
that and not the value size.
"""
from __future__ import annotations

import ctypes
import mmap
from typing import Any

from ..types import ArrayType, BoolType, BpfType, IntType, StructType


def array_view(fd: int, value_type: BpfType, value_size: int,
               max_entries: int) -> tuple[Any, mmap.mmap]:
    """``(ndarray, mmap)``: the array has shape ``(max_entries, *value_shape)``.

    Its base is a ctypes array made with ``from_buffer(mm)``, which holds a buffer export for
    its whole life: ``mm.close()`` then raises ``BufferError`` instead of unmapping memory
    under the array, and the mapping (which keeps the kernel map alive by itself) lasts as
    long as any view of it, even after the object is closed or collected.  NumPy alone keeps
    only a reference to the mmap object (it unwraps a ``memoryview`` too), and ``close()``
    unmaps regardless of that.
    """
    import numpy as np          # lazy: only a view() pays for importing NumPy
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
    export = (ctypes.c_char * length).from_buffer(mm)
    # numpy's stubs omit ctypes arrays, which export the buffer protocol (see the docstring);
    # older numpy stubs (2.2, Python 3.10) accept it, hence unused-ignore
    arr: Any = np.ndarray((max_entries, *shape), dtype=dtype, strides=(stride, *inner),
                          buffer=export)  # type: ignore[arg-type,unused-ignore]
    return arr, mm


def numpy_layout(t: BpfType) -> tuple[Any, tuple[int, ...]]:
    """``(dtype, shape)`` of a value type: integers, bools, arrays of them, simple structs."""
    import numpy as np          # lazy: only a view() pays for importing NumPy
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
        # typed Any: NumPy's stubs spell this dict form differently from version to version
        spec: Any = {"names": list(fields), "formats": [v[0] for v in fields.values()],
                     "offsets": [v[1] for v in fields.values()], "itemsize": t.size}
        return np.dtype(spec), ()
    raise TypeError(f"no NumPy view of {t!r} values")
