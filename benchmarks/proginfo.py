"""What the kernel says about a loaded program: its size after loading and the verifier's work."""
from __future__ import annotations

import struct
from typing import Any

# struct bpf_prog_info (linux/bpf.h): the fields read here and the size asked for on 6.x
_INFO_SIZE = 232
_JITED_XLATED_LEN = 16          # __u32 jited_prog_len, xlated_prog_len
_VERIFIED_INSNS = 216           # __u32 verified_insns (5.16+)
_LIB: Any = None


def prog_info(fd: int) -> dict[str, int]:
    """xlated instructions, JIT image bytes and verified instructions of the program ``fd``
    (``BPF_OBJ_GET_INFO_BY_FD``)."""
    global _LIB
    if _LIB is None:
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("int bpf_obj_get_info_by_fd(int bpf_fd, void *info, unsigned int *info_len);")
        _LIB = (ffi, ffi.dlopen("libbpf.so.1"))
    ffi, lib = _LIB
    buf = ffi.new("char[]", _INFO_SIZE)
    n = ffi.new("unsigned int *", _INFO_SIZE)
    if lib.bpf_obj_get_info_by_fd(fd, buf, n) != 0:
        raise OSError("bpf_obj_get_info_by_fd failed")
    raw = ffi.buffer(buf, _INFO_SIZE)[:]
    jited, xlated = struct.unpack_from("<II", raw, _JITED_XLATED_LEN)
    (verified,) = struct.unpack_from("<I", raw, _VERIFIED_INSNS)
    return {"xlated": xlated // 8, "jited_bytes": jited, "processed": verified}


def processed_from_log(log: str) -> int | None:
    """The verifier log's "processed N insns", or None when the log has no such line."""
    for line in log.splitlines():
        if line.startswith("processed ") and " insns" in line:
            return int(line.split()[1])
    return None
