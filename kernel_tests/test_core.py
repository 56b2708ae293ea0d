"""CO-RE and tracepoint strings in the kernel: ``__data_loc`` strings of tracepoint records.

Each program runs on a real event the test makes (a child's exec) and the test compares what
the program saw with what CPython knows about that event.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap

import pytest

import ebpfpy

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")

_dirs: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _sources_removed():
    """The program files build() writes are removed with the module's tests."""
    d = tempfile.mkdtemp(prefix="ebpfpy-core-")
    _dirs.append(d)
    yield
    _dirs.remove(d)
    shutil.rmtree(d, ignore_errors=True)


def build(body: str, name: str):
    path = os.path.join(_dirs[-1], f"{name}.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(body))
    return ebpfpy.load(path)


DATA_LOC = '''
    from ebpfpy import bpf_program, helpers, u8, u32, u64, Array

    me: u32 = 0
    names = Array(u8[64], 1)
    seen = Array(u64, 3)

    @bpf_program("tracepoint/sched/sched_process_exec")
    def on_exec(ctx) -> int:
        if u32(helpers.get_current_task_btf().real_parent.tgid) != me:
            return 0                                  # another process's exec
        buf = u8[64]()
        seen[0] = u64(helpers.probe_read_kernel_str(buf, ctx.filename))
        names[0] = buf
        seen[1] = u64(ctx.__data_loc_filename >> 16)  # the length the kernel recorded
        seen[2] = u64(ctx.pid)
        return 0
'''


@pytest.mark.parametrize("name", ["", "a-longer-name-for-true"])
def test_data_loc_string_is_readable(name: str) -> None:
    """``ctx.filename`` (a ``__data_loc char[]``) is the address of the string in the record:
    probe_read_kernel_str copies the path the child exec'd (as given to execve), with its NUL."""
    path = "/bin/true"
    if name:                                   # another length, at another record offset
        path = os.path.join(_dirs[-1], name)
        os.symlink("/bin/true", path)
    with build(DATA_LOC, "data_loc") as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_exec.attach():
            child = subprocess.Popen([path])
            child.wait()
        want = path.encode()
        assert bytes(obj.maps.names[0]).rstrip(b"\0") == want
        assert obj.maps.seen[0] == len(want) + 1
        assert obj.maps.seen[1] == len(want) + 1
        assert obj.maps.seen[2] == child.pid
