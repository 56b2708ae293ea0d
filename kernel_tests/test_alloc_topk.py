"""examples/alloc_topk.py in the kernel: a child process's write() sizes go through the
red-black tree (objects allocated per write, the smallest pushed out past K), and what
``drain`` reads back is what Python's ``sorted(...)[-K:]`` gives."""
from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import ebpfpy

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "alloc_topk.py"
CHILD = ("import os, sys\n"
         "sizes = [int(x) for x in sys.argv[1:]]\n"
         "sys.stdin.readline()\n"
         "fd = os.open(os.devnull, os.O_WRONLY)\n"
         "for n in sizes:\n"
         "    os.write(fd, b'x' * n)\n"
         "sys.exit(fd)\n")


def _example():
    spec = importlib.util.spec_from_file_location("alloc_topk", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_topk_of_a_child_s_writes_matches_python() -> None:
    example = _example()
    rng = random.Random(5)
    # larger than anything the interpreter itself may write on its way out
    sizes = [rng.randrange(1000, 60000) for _ in range(40)]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *map(str, sizes)],
                             stdin=subprocess.PIPE, text=True)
    try:
        with ebpfpy.load(str(EXAMPLE), config={"targ_tgid": child.pid, "k": 6}) as obj:
            with obj.programs.on_sys_enter.attach():
                child.communicate("go\n", timeout=30)
            fd = child.returncode
            top = obj.maps.top[0]
            assert top.seen >= len(sizes) and top.held == 6
            got = example.read_top(obj)
            assert obj.maps.top[0].held == 0            # drained
            assert example.read_top(obj) == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    want = sorted([(n, child.pid, fd) for n in sizes], reverse=True)[:6]
    assert got == want
