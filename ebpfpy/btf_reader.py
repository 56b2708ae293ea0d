"""Reading BTF through libbpf: the one reader the compiler (the running kernel's types,
``model/kernel_types.py``) and the loader (an object's types, ``loader/btf.py``) share.

libbpf parses the BTF (``btf__load_vmlinux_btf`` for the kernel's, ``bpf_object__btf`` for
an object's); ``btf_type``'s kind/vlen/kflag bits and the records that follow a type are
decoded here because libbpf's accessors for them are static inline.  Below both the
frontend and the loader.  Importing this module loads no cffi (the compiler imports it for
every file): a reader is given the binding (:mod:`ebpfpy.libbpf`) by whoever opens the BTF.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

VMLINUX = "/sys/kernel/btf/vmlinux"

# BTF kinds (include/uapi/linux/btf.h)
(K_INT, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE, K_CONST,
 K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG, K_TYPE_TAG,
 K_ENUM64) = range(1, 20)
MODIFIERS = {K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG}
INT_SIGNED, INT_BOOL = 0x1, 0x4      # BTF_INT_ENCODING bits


class BtfReader:
    """Raw access to one ``struct btf *`` (owned by whoever opened it)."""

    def __init__(self, btf: Any, binding: Any) -> None:
        self.btf = btf
        self.L, self.lib, self.ffi = binding, binding.lib, binding.ffi

    def raw(self, tid: int) -> tuple[Any, int, int, bool, str]:
        """(btf_type *, kind, vlen, kflag, name) of type ``tid``; KeyError when there is none."""
        t = self.lib.btf__type_by_id(self.btf, tid)
        if t == self.ffi.NULL:
            raise KeyError(f"no BTF type {tid}")
        info = t.info
        return t, (info >> 24) & 0x1F, info & 0xFFFF, bool(info >> 31), self.name(t.name_off)

    def name(self, offset: int) -> str:
        """The string at ``offset`` of the string section."""
        return self.L.cstr(self.lib.btf__name_by_offset(self.btf, offset))

    def kind(self, tid: int) -> int:
        """The BTF kind of type ``tid`` (0 for void)."""
        return 0 if tid == 0 else self.raw(tid)[1]

    def resolve(self, tid: int) -> int:
        """Skip typedefs, const, volatile, restrict and type tags."""
        while tid:
            t, kind, _, _, _ = self.raw(tid)
            if kind not in MODIFIERS:
                break
            tid = t.size_or_type
        return tid

    def find(self, name: str, kind: int) -> int:
        """The id of the type named ``name`` of ``kind``, or 0."""
        tid = self.lib.btf__find_by_name_kind(self.btf, name.encode(), kind)
        return tid if tid > 0 else 0

    def count(self) -> int:
        """The number of type ids (including void, id 0)."""
        return self.lib.btf__type_cnt(self.btf)

    # ----------------------------------------------------------- records after a btf_type
    def int_encoding(self, t: Any) -> int:
        """The encoding bits of an INT (``INT_SIGNED``, ``INT_BOOL``)."""
        return (self.ffi.cast("unsigned int *", t + 1)[0] >> 24) & 0xF

    def members(self, t: Any) -> Any:
        """The ``btf_member`` array of a STRUCT or UNION."""
        return self.ffi.cast("struct btf_member *", t + 1)

    def array(self, t: Any) -> Any:
        """The ``btf_array`` record of an ARRAY."""
        return self.ffi.cast("struct btf_array *", t + 1)

    def enumerators(self, t: Any, kind: int, vlen: int) -> list[tuple[str, int]]:
        """(name, value) of each enumerator of an ENUM or ENUM64 (kflag: signed)."""
        out = []
        words = self.ffi.cast("unsigned int *", t + 1)
        step = 3 if kind == K_ENUM64 else 2
        signed = bool(t.info >> 31)
        for i in range(vlen):
            name = self.name(words[i * step])
            v = words[i * step + 1] | ((words[i * step + 2] << 32) if step == 3 else 0)
            bits = 64 if step == 3 else 32
            if signed and v >> (bits - 1):
                v -= 1 << bits
            out.append((name, v))
        return out

    def params(self, t: Any) -> Any:
        """The ``btf_param`` array of a FUNC_PROTO."""
        return self.ffi.cast("struct btf_param *", t + 1)

    def var_secinfos(self, t: Any) -> Any:
        """The ``btf_var_secinfo`` array of a DATASEC."""
        return self.ffi.cast("struct btf_var_secinfo *", t + 1)


@lru_cache(maxsize=None)
def vmlinux_btf() -> BtfReader | None:
    """The running kernel's BTF, opened once per process; None when the kernel has none."""
    if not os.path.exists(VMLINUX):
        return None
    try:
        from . import libbpf as L       # cffi and libbpf load only when a program needs them
    except OSError:                     # no libbpf on this machine
        return None
    btf = L.lib.btf__load_vmlinux_btf()
    if btf == L.ffi.NULL:
        return None
    return BtfReader(btf, L)
