"""Checked encoding of Python values set from userspace (LANGUAGE.md §7: never wrapped).

:meth:`BpfType.pack` is the permissive codec the CPython model shares with BPF semantics (it
truncates like a cast).  Everything userspace *stores* -- map keys and values, struct fields
inside them, globals, a ``test_run`` ctx, ``bytes(p)`` of a ``@struct`` instance -- goes
through :func:`encode` instead, which refuses what does not fit:

- an integer outside the type's range: ``OverflowError``;
- a value of the wrong kind (a float, a str, an int where a struct or array is expected):
  ``TypeError``;
- a list of the wrong length, or ``bytes`` longer than a ``u8`` array: ``ValueError``
  (shorter ``bytes`` are zero-padded, as a C string is).

Each message names where the value was going (``map 'counts' key``, ``global 'total'``), the
field path inside it (``.pos.x``, ``[3]``) and the accepted range or type.
"""
from __future__ import annotations

import operator
from typing import Any

from .types import ArrayType, BoolType, BpfType, FlexType, IntType, OpaqueType, StructType, u8


def encode(t: BpfType, value: Any, where: str) -> bytes:
    """``t.pack(value)`` after checking ``value`` fits ``t``; ``where`` names the target."""
    check(t, value, where)
    return t.pack(value)


def check(t: BpfType, value: Any, where: str) -> None:
    """Raise ``OverflowError``/``TypeError``/``ValueError`` unless ``value`` fits ``t``."""
    if isinstance(t, BoolType):
        _check_bool(value, where)
    elif isinstance(t, IntType):
        _check_int(t, value, where)
    elif isinstance(t, ArrayType):
        _check_array(t, value, where)
    elif isinstance(t, StructType):
        _check_struct(t, value, where)
    elif isinstance(t, OpaqueType):
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"{where}: expected bytes for {t!r}, got {_kind(value)}")
        if value is not None and len(value) > t.size:
            raise ValueError(f"{where}: {len(value)} bytes do not fit {t!r} "
                             f"(at most {t.size} bytes)")


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if len(repr(value)) <= 40 else type(value).__name__


def _as_int(value: Any, t: BpfType, where: str) -> int:
    if isinstance(value, (float, complex, str, bytes)):
        raise TypeError(f"{where}: expected an int for {t!r}, got {_kind(value)}")
    try:
        return operator.index(value)        # ints, bools, NumPy integers; never floats
    except TypeError:
        raise TypeError(f"{where}: expected an int for {t!r}, got {_kind(value)}") from None


def _check_int(t: IntType, value: Any, where: str) -> None:
    v = _as_int(value, t, where)
    if not t.min <= v <= t.max:
        raise OverflowError(f"{where}: {v} is out of range for {t!r} ({t.min}..{t.max})")


def _check_bool(value: Any, where: str) -> None:
    if getattr(getattr(value, "dtype", None), "kind", "") == "b":    # numpy.bool_
        return
    v = _as_int(value, BoolType(), where)
    if v not in (0, 1):
        raise OverflowError(f"{where}: {v} is out of range for bool (False, True, 0 or 1)")


def _check_array(t: ArrayType, value: Any, where: str) -> None:
    if isinstance(t, FlexType):
        _check_flex(t, value, where)
        return
    if isinstance(value, (bytes, bytearray, memoryview)):
        if not (isinstance(t.elem, IntType) and t.elem.size == 1):
            raise TypeError(f"{where}: bytes only fill u8/i8 arrays, not {t!r}; use a list")
        if len(value) > t.length:
            raise ValueError(f"{where}: {len(value)} bytes do not fit {t!r} "
                             f"(at most {t.length}; shorter is zero-padded)")
        return
    if isinstance(value, (str, dict)) or not hasattr(value, "__len__") \
            or not hasattr(value, "__iter__"):
        raise TypeError(f"{where}: expected a list of {t.length} for {t!r}, got {_kind(value)}")
    if len(value) != t.length:
        raise ValueError(f"{where}: {len(value)} elements for {t!r} (needs exactly {t.length})")
    for i, v in enumerate(value):
        check(t.elem, v, f"{where}[{i}]")


def _check_flex(t: FlexType, value: Any, where: str) -> None:
    """A flexible array holds 0 to its capacity elements (``bytes`` for ``u8`` items)."""
    if isinstance(value, (bytes, bytearray, memoryview)) and not t.bytes_like:
        raise TypeError(f"{where}: bytes only fill Flex[u8, N], not {t!r}; use a list")
    if isinstance(value, (str, dict)) or not hasattr(value, "__len__") \
            or not hasattr(value, "__iter__"):
        raise TypeError(f"{where}: expected a list of at most {t.length} for {t!r}, "
                        f"got {_kind(value)}")
    if len(value) > t.length:
        raise ValueError(f"{where}: {len(value)} elements do not fit {t!r} "
                         f"(its capacity is {t.length})")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        for i, v in enumerate(value):
            check(t.elem, v, f"{where}[{i}]")


def _check_struct(t: StructType, value: Any, where: str) -> None:
    if isinstance(value, dict):
        unknown = [k for k in value if k not in t.by_name]
        if unknown:
            raise TypeError(f"{where}: struct {t.name} has no field {unknown[0]!r} "
                            f"(fields: {', '.join(t.by_name)})")
        missing = [f.name for f in t.fields if f.name not in value]
        if missing:
            raise ValueError(f"{where}: field {missing[0]!r} of struct {t.name} is missing")
        get = value.__getitem__
    else:
        vt = getattr(type(value), "__bpf_type__", None)
        if not isinstance(vt, StructType) or vt.name != t.name:
            raise TypeError(f"{where}: expected a struct {t.name} instance, got {_kind(value)}")
        get = lambda name: getattr(value, name)  # noqa: E731
    for f in t.fields:
        try:
            fv = get(f.name)
        except AttributeError:
            raise ValueError(f"{where}: field {f.name!r} of struct {t.name} is missing") from None
        check(f.type, fv, f"{where}.{f.name}")


def decode_record(event: BpfType | None, data: bytes) -> Any:
    """A ring- or perf-buffer record's Python value: ``event``'s value when ``data`` holds it
    all; for a struct whose last field is an array, a shorter record (``rb.output(rec,
    size)``) that reaches that field decodes with the field cut to the elements received
    (``bytes`` for a ``u8`` array), as does a ``Flex`` field; anything else stays ``bytes``."""
    if event is None or event.size == 0:
        return data
    if isinstance(event, StructType) and event.flex is not None:
        # a flexible array takes the whole elements that arrived (up to its capacity)
        return event.unpack(data) if len(data) >= event.flex.offset else data
    if len(data) >= event.size:
        return event.unpack(data[:event.size])
    last = event.fields[-1] if isinstance(event, StructType) and event.fields else None
    if last is None or not isinstance(last.type, ArrayType) or len(data) < last.offset:
        return data
    rec = event.unpack(data.ljust(event.size, b"\0"))
    es = last.type.elem.size
    n = min((len(data) - last.offset) // es, last.type.length)
    tail = data[last.offset:last.offset + n * es]
    cut: Any = tail if last.type.elem == u8 else \
        [last.type.elem.unpack(tail[i * es:(i + 1) * es]) for i in range(n)]
    if isinstance(rec, dict):
        rec[last.name] = cut
    else:
        object.__setattr__(rec, last.name, cut)
    return rec
