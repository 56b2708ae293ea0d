"""An object whose BTF the kernel refuses is a LoadError quoting the kernel's reason, not
libbpf's silent fallback ("BTF is optional, ignoring": no line info for verifier errors, no BTF
map or record types)."""
from __future__ import annotations

import io
import os
import struct as S
import textwrap

import pytest
from elftools.elf.elffile import ELFFile

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.loader.object import BpfObject


def _rename_in_btf(elf: bytes, old: bytes, new: bytes) -> bytes:
    """``elf`` with one name in its .BTF string section replaced (same length)."""
    sec = ELFFile(io.BytesIO(elf)).get_section_by_name(".BTF")
    off = sec["sh_offset"]
    hdr_len, _t_off, _t_len, str_off = S.unpack_from("<IIII", elf, off + 4)
    at = elf.index(b"\0" + old + b"\0", off + hdr_len + str_off) + 1
    return elf[:at] + new + elf[at + len(old):]


def test_btf_the_kernel_refuses_is_a_load_error_not_a_silent_fallback() -> None:
    """libbpf loads an object whose BTF the kernel refuses without it ("BTF is optional,
    ignoring"): verifier errors would lose their Python lines. The loader refuses it, quoting
    the kernel's reason, and releases what it created."""
    src = textwrap.dedent('''
        from ebpfpy import bpf_program, Array, u64
        counts = Array(u64, 4)

        @bpf_program("syscall")
        def run(ctx) -> int:
            counts[1] += 1
            return 7
        ''')
    c = compile_full(source=src, filename="btf_refused.py")
    with BpfObject(c.elf, compiled=c) as good:             # the same object, unmodified, loads
        assert not [m for m in good.messages if "BTF is optional" in m]
    bad = _rename_in_btf(c.elf, b"run", b"r-n")           # not an identifier: the kernel refuses
    fds = set(os.listdir("/proc/self/fd"))
    with pytest.raises(ebpfpy.LoadError) as e:
        BpfObject(bad, compiled=c)
    assert str(e.value).startswith("the kernel refused the object's BTF: [")
    assert "FUNC r-n" in str(e.value) and "Invalid name" in str(e.value)
    assert "no line info" in str(e.value)
    assert set(os.listdir("/proc/self/fd")) - fds == set()
