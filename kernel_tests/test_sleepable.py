"""Sleepable programs: ``helpers.copy_from_user`` in ``syscall`` and ``uprobe.s`` programs.

The point of a sleepable program is that it may fault a user page in: on a freshly mapped
page that the probed binary has never touched, ``probe_read_user`` fails with -EFAULT while
``copy_from_user`` reads it (and a later ``probe_read_user`` then succeeds).  The ``syscall``
case runs in this Python process, reads one of its buffers, and agrees with the simulator.
"""
from __future__ import annotations

import ctypes
import platform
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.testing import Simulator

SYSCALL = '''
from ebpfpy import bpf_program, struct, helpers, u8, u64, i64

@struct
class Args:
    addr: u64
    ret: i64
    ret_task: i64
    first: u64
    last: u64

@bpf_program("syscall")
def read_user(ctx: Args) -> int:
    buf = u8[16]()
    ctx.ret = helpers.copy_from_user(buf, ctx.addr)
    other = u8[16]()
    ctx.ret_task = helpers.copy_from_user_task(other, ctx.addr, helpers.get_current_task_btf())
    ctx.first = u64(buf[0])
    ctx.last = u64(other[15])
    return 0
'''


def test_syscall_program_copies_from_user_and_matches_simulator(tmp_path: Path) -> None:
    path = tmp_path / "sleep_syscall.py"
    path.write_text(SYSCALL)
    data = bytes(range(100, 116))
    buf = ctypes.create_string_buffer(data, len(data))
    addr = ctypes.addressof(buf)
    sim = Simulator(str(path))
    sim.env.memory = {addr: data}
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        r = obj.programs.read_user.test_run(ctx=Args(addr=addr))
        out = Args.from_bytes(r.ctx)
        s = Args.from_bytes(sim.run("read_user", ctx=Args(addr=addr)).ctx)
        assert (out.ret, out.ret_task, out.first, out.last) == (0, 0, 100, 115)
        assert (s.ret, s.ret_task, s.first, s.last) == (0, 0, 100, 115)
        # an unmapped address: both fail with -EFAULT (the kernel zeroes the buffer)
        bad = Args.from_bytes(obj.programs.read_user.test_run(ctx=Args(addr=8)).ctx)
        sbad = Args.from_bytes(sim.run("read_user", ctx=Args(addr=8)).ctx)
        assert (bad.ret, bad.ret_task, bad.first) == (sbad.ret, sbad.ret_task, sbad.first) == (-14, -14, 0)


# A binary that maps a file and passes the never-touched page to peek(): its page table
# entry is not there until something faults it in.
PEEK_C = r'''
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
__attribute__((noinline)) int peek(const char *p) { __asm__ volatile("" :: "r"(p) : "memory"); return 0; }
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDONLY);
    const char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd < 0 || p == MAP_FAILED) { perror("map"); return 1; }
    return peek(p);
}
'''

UPROBE_S = '''
from ebpfpy import bpf_program, helpers, Array, u8, u64, i64

results = Array(i64, 8)

@bpf_program("uprobe.s/{binary}:peek")
def on_peek(ctx) -> int:
    before = u8[8]()
    results[0] = helpers.probe_read_user(before, ctx.di)      # not resident: -EFAULT
    buf = u8[8]()
    results[1] = helpers.copy_from_user(buf, ctx.di)         # faults the page in
    after = u8[8]()
    results[2] = helpers.probe_read_user(after, ctx.di)      # resident now
    results[3] = i64(buf[0])
    results[4] = i64(buf[7])
    results[5] = i64(after[0])
    results[6] += 1
    return 0
'''


@pytest.mark.skipif(platform.machine() != "x86_64", reason="pt_regs field names are x86-64's")
@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build the probed binary")
def test_uprobe_s_faults_in_a_page_probe_read_user_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "peek.c").write_text(PEEK_C)
    binary = tmp_path / "peek"
    subprocess.run(["gcc", "-O1", "-o", str(binary), str(tmp_path / "peek.c")], check=True)
    data_file = tmp_path / "data.bin"
    data_file.write_bytes(b"sleepy!Z" + bytes(4088))
    src = tmp_path / "sleep_uprobe.py"
    src.write_text(textwrap.dedent(UPROBE_S.replace("{binary}", str(binary))))
    with ebpfpy.load(str(src)) as obj:
        assert obj.programs.on_peek.section.startswith("uprobe.s/")
        with obj.programs.on_peek.attach():
            subprocess.run([str(binary), str(data_file)], check=True)
        r = obj.maps.results
        assert r[6] == 1
        assert (r[0], r[1], r[2]) == (-14, 0, 0)
        assert (r[3], r[4], r[5]) == (ord("s"), ord("Z"), ord("s"))


ITER_S = '''
from ebpfpy import bpf_program, helpers, Array, u8, u64, i64

cells = Array(i64, 4)      # 0: the address to read (set by the test), 1: result, 2: byte, 3: calls

@bpf_program("iter.s/task")
def walk(ctx) -> int:
    buf = u8[4]()
    cells[1] = helpers.copy_from_user(buf, u64(cells[0]))
    cells[2] = i64(buf[3])
    cells[3] += 1
    return 0
'''


def test_iter_s_task_reads_the_readers_memory(tmp_path: Path) -> None:
    # a sleepable task iterator runs in the process that reads the iterator: this one
    path = tmp_path / "sleep_iter.py"
    path.write_text(ITER_S)
    buf = ctypes.create_string_buffer(b"abcd", 4)
    with ebpfpy.load(str(path)) as obj:
        obj.maps.cells[0] = ctypes.addressof(buf)
        with obj.programs.walk.attach() as link:
            link.read()
        c = obj.maps.cells
        assert c[3] > 1 and (c[1], c[2]) == (0, ord("d"))


MAPS = '''
from ebpfpy import bpf_program, Array, HashMap, LruHashMap, PerCpuHashMap, PerCpuArray, RingBuf, u32, u64

a = Array(u64, 4)
h = HashMap(u32, u64, max_entries=4)
lru = LruHashMap(u32, u64, max_entries=4)
ph = PerCpuHashMap(u32, u64, max_entries=4)
pa = PerCpuArray(u64, 4)
rb = RingBuf(4096)

@bpf_program("uprobe.s//bin/true:main")
def uses_maps(ctx) -> int:
    a[0] += 1
    h[1] = u64(2)
    lru[1] = u64(2)
    ph[1] = u64(2)
    pa[0] += 1
    rb.output(u64(1))
    return 0
'''


def test_sleepable_program_loads_with_every_map_kind_but_progarray(tmp_path: Path) -> None:
    # the verifier allows only array, hash, ringbuf and local storage maps here (E281 for
    # ProgArray is in the compiler tests); loading is the check
    path = tmp_path / "sleep_maps.py"
    path.write_text(MAPS)
    with ebpfpy.load(str(path)) as obj:
        assert obj.programs.uses_maps.fd > 0
