"""A kernel pointer as an integer: ``u64(ref)`` is the address a reference points to.

Tools key maps by kernel addresses (biolatency's and biosnoop's ``struct request *``): one
program stores under the address, another event that gets the same object finds it again.
Here exec stores a start time under ``u64(task)`` and the task's exit, given the same
``task_struct`` as ``ctx.p``, finds it.  The address of a BTF reference and of the same task
read as a plain address (``get_current_task()``, ``task_struct(addr)``) agree.
"""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

import ebpfpy

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")

LIFETIME = '''
from ebpfpy import bpf_program, helpers, HashMap, Array, u32, u64
from ebpfpy.kernel import task_struct

parent: u32 = 0
starts = HashMap(u64, u64, 1024)       # task address -> exec time
lived = HashMap(u32, u64, 64)          # pid -> ns from exec to exit
addrs = Array(u64, 4)

@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    task = helpers.get_current_task_btf()
    if u32(task.real_parent.tgid) != parent:
        return 0
    starts[u64(task)] = helpers.ktime_get_ns()
    addrs[0] = u64(task)
    addrs[1] = helpers.get_current_task()
    addrs[2] = u64(task.real_parent)
    plain = task_struct(helpers.get_current_task())
    addrs[3] = u64(plain.real_parent)
    return 0

@bpf_program("tp_btf/sched_process_exit")
def on_exit(ctx) -> int:
    key = u64(ctx.p)
    t0 = starts.lookup(key)
    if t0 is None:
        return 0
    lived[u32(ctx.p.pid)] = helpers.ktime_get_ns() - t0.value
    del starts[key]
    return 0
'''

KERNEL_HALF = 0xFFFF800000000000        # x86-64 and arm64 kernel addresses lie above this


def test_task_address_keys_a_map_from_exec_to_exit(tmp_path: Path) -> None:
    path = tmp_path / "lifetime.py"
    path.write_text(textwrap.dedent(LIFETIME))
    with ebpfpy.load(str(path)) as obj:
        obj.globals.parent = os.getpid()
        with obj.programs.on_exec.attach(), obj.programs.on_exit.attach():
            child = subprocess.Popen(["sleep", "0.2"])
            child.wait()
        addrs: Any = obj.maps.addrs
        assert addrs[0] >= KERNEL_HALF, hex(addrs[0])
        assert addrs[0] == addrs[1]                    # BTF reference == get_current_task()
        assert addrs[2] == addrs[3] >= KERNEL_HALF     # real_parent read both ways
        lived = dict(obj.maps.lived.items())
        assert child.pid in lived, lived
        assert 150_000_000 <= lived[child.pid] < 5_000_000_000
        assert len(obj.maps.starts) == 0               # the exit found and removed its entry
