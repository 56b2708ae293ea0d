"""Read-only configuration (``targ_pid: Const[u32] = 0``), set between open and load.

Like a libbpf skeleton's ``skel->rodata->targ_pid = ...``: after ``bpf_object__open_mem`` the
``.rodata`` map's initial value is staged here, checked by :mod:`ebpfpy.codec` as globals are,
and handed to libbpf with ``bpf_map__set_initial_value`` just before ``bpf_object__load``.
libbpf then freezes the map, so the verifier knows each value and skips the branches it rules
out.  After load the values are read-only (``obj.config.x`` and ``obj.globals.x`` read them).
"""
from __future__ import annotations

from typing import Any, Iterator

from .. import libbpf as L
from ..codec import encode
from ..libbpf import ffi, lib
from .btf import BtfTypes, GlobalVar


class ConfigSection:
    """The staged initial value of one ``.rodata`` map."""

    def __init__(self, name: str, image: bytes) -> None:
        self.name = name
        self.image = bytearray(image)
        self.dirty = False          # only a section userspace wrote is handed back to libbpf

    def write(self, off: int, data: bytes) -> None:
        """Stage ``data`` at ``off``."""
        self.image[off:off + len(data)] = data
        self.dirty = True

    def apply(self, obj: Any) -> None:
        """Give the staged bytes to the map of this section in the (re)opened object ``obj``."""
        if not self.dirty:
            return
        m = find_section_map(obj, self.name)
        if m == ffi.NULL:
            raise L.os_error(2, f"find section {self.name} to configure")
        buf = ffi.from_buffer(bytes(self.image))
        rc = lib.bpf_map__set_initial_value(m, buf, len(self.image))
        if rc < 0:
            raise L.os_error(-rc, f"set the initial value of {self.name}")


def section_name(btf: BtfTypes, m: Any) -> str | None:
    """The DATASEC name (``.rodata``, ``.data``...) of an internal map, or None."""
    tid = lib.bpf_map__btf_value_type_id(m)
    if not tid or btf.kind(tid) != L.BTF_KIND_DATASEC:
        return None
    return L.cstr(lib.btf__name_by_offset(btf.btf, lib.btf__type_by_id(btf.btf, tid).name_off))


def find_section_map(obj: Any, secname: str) -> Any:
    """The map holding DATASEC ``secname`` in ``obj``, found by its BTF type (libbpf cuts
    the map's own name, ``<obj>.rodata.str1.1``, to 15 characters)."""
    raw = lib.bpf_object__btf(obj)
    if raw == ffi.NULL:
        return ffi.NULL
    btf = BtfTypes(raw, {})
    m = lib.bpf_object__next_map(obj, ffi.NULL)
    while m != ffi.NULL:
        if section_name(btf, m) == secname:
            return m
        m = lib.bpf_object__next_map(obj, m)
    return ffi.NULL


def read_config(obj: Any, btf: BtfTypes) -> tuple[dict[str, tuple[GlobalVar, ConfigSection]],
                                                  dict[str, str]]:
    """The ``.rodata`` variables of the opened ``obj`` with their staged sections, and the
    other globals with their sections, for error messages."""
    variables: dict[str, tuple[GlobalVar, ConfigSection]] = {}
    others: dict[str, str] = {}
    m = lib.bpf_object__next_map(obj, ffi.NULL)
    while m != ffi.NULL:
        secname = section_name(btf, m)
        if secname is not None:
            tid = lib.bpf_map__btf_value_type_id(m)
            if secname.startswith(".rodata"):
                size = ffi.new("size_t *")
                ptr = lib.bpf_map__initial_value(m, size)
                sec = ConfigSection(secname, bytes(ffi.buffer(ptr, size[0])) if ptr != ffi.NULL
                                    else bytes(lib.bpf_map__value_size(m)))
                for var in btf.datasec(tid):
                    variables.setdefault(var.name, (var, sec))
            else:
                others.update((v.name, secname) for v in btf.datasec(tid))
        m = lib.bpf_object__next_map(obj, m)
    return variables, others


class Config:
    """The module's ``Const`` globals as attributes: writable after open, read-only after load.

    ``obj.config.targ_pid = 42`` (also ``obj.config["targ_pid"]``) checks the value against the
    global's type (``OverflowError``/``TypeError``/``ValueError``, nothing stored).
    """

    def __init__(self, variables: dict[str, tuple[GlobalVar, ConfigSection]],
                 others: dict[str, str]) -> None:
        object.__setattr__(self, "_vars", variables)
        object.__setattr__(self, "_others", others)
        object.__setattr__(self, "_frozen", False)

    def _var(self, name: str) -> tuple[GlobalVar, ConfigSection]:
        try:
            return self._vars[name]
        except KeyError:
            if self._others.get(name, "").startswith(".kconfig"):
                raise AttributeError(f"global {name!r} is Kconfig: libbpf sets it from the "
                                     f"running kernel at load") from None
            if name in self._others:
                raise AttributeError(
                    f"global {name!r} is not Const: set it after load as obj.globals.{name} "
                    f"(or declare it {name}: Const[...] to make it load-time configuration)"
                ) from None
            known = ", ".join(sorted(self._vars)) or "none"
            raise AttributeError(f"no Const global {name!r} (Const globals: {known})") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        var, sec = self._var(name)
        return var.type.unpack(bytes(sec.image[var.offset:var.offset + var.type.size]))

    def __setattr__(self, name: str, value: Any) -> None:
        var, sec = self._var(name)
        if self._frozen:
            raise AttributeError(f"Const global {name!r} was frozen at load: set it between "
                                 f"ebpfpy.open() and .load(), or pass load(..., config=...)")
        sec.write(var.offset, encode(var.type, value, f"Const global {name!r}"))

    __getitem__ = __getattr__
    __setitem__ = __setattr__

    def freeze(self) -> None:
        """Refuse writes from now on (the object is being loaded)."""
        object.__setattr__(self, "_frozen", True)

    def update(self, values: dict[str, Any]) -> None:
        """Set several values (each checked; the first bad one raises)."""
        for name, value in values.items():
            setattr(self, name, value)

    def sections(self) -> list[ConfigSection]:
        """The staged sections, each once."""
        return list({id(s): s for _, s in self._vars.values()}.values())

    def __contains__(self, name: object) -> bool:
        return name in self._vars

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def keys(self) -> list[str]:
        """The Const globals' names."""
        return list(self._vars)

    def items(self) -> list[tuple[str, Any]]:
        """``(name, value)`` pairs."""
        return [(n, getattr(self, n)) for n in self._vars]

    def __dir__(self) -> list[str]:
        return list(self._vars)

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={v!r}" for n, v in self.items())
        return f"Config({body})"
