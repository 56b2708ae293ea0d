"""Peeks into trees and lists (``root``/``left``/``right``, ``front``/``back``): the
simulator's red-black tree keeps the red-black rules and the kernel's order through random
insertions and removals; a bounded walk under the lock compiles; on a kernel without the
kfuncs (before Linux 6.16) using them is E370 at the call."""
from __future__ import annotations

import random
import textwrap
from typing import Any

import pytest

import ebpfpy
from ebpfpy.api import compile_module
from ebpfpy.errors import CompileError
from ebpfpy.frontend.check import alloc as check_alloc
from ebpfpy.testing.rbtree import BLACK, RED, RbTree


class Obj:
    def __init__(self, key: int) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Obj({self.key})"


def _black_height(t: RbTree, x: Any, parent: Any) -> int:
    """Checks the links and the red-black rules below ``x``; its black height."""
    if x is None:
        return 1
    link = t._l(x)
    assert link.parent is parent
    if link.color == RED:
        assert t._color(link.left) == BLACK and t._color(link.right) == BLACK, x
    left = _black_height(t, link.left, x)
    assert left == _black_height(t, link.right, x), x
    return left + (link.color == BLACK)


def test_simulated_rbtree_keeps_the_rules_and_the_order() -> None:
    rng = random.Random(5)
    t = RbTree()
    model: list[Obj] = []
    for step in range(3000):
        if model and rng.random() < 0.4:
            victim = model.pop(rng.randrange(len(model)))
            assert t.remove(victim) is victim
            assert t.remove(victim) is None          # not in the tree any more
        else:
            o = Obj(rng.randrange(50))               # equal keys go after the ones there
            assert t.add(o, lambda a, b: a.key < b.key)
            at = max((i + 1 for i, x in enumerate(model) if not o.key < x.key), default=0)
            model.insert(at, o)
        assert t.items() == model, step
        assert t._color(t.top) == BLACK
        _black_height(t, t.top, None)
        assert t.first() is (model[0] if model else None)
    assert not t.add(model[0], lambda a, b: a.key < b.key)     # already linked: -EINVAL


SRC = textwrap.dedent('''
    from ebpfpy import (Array, ListHead, ListNode, RbNode, RbRoot, SpinLock, bpf_function,
                        bpf_program, helpers, struct, u64)

    @struct
    class Node:
        key: u64
        rb: RbNode

    @struct
    class Item:
        link: ListNode
        key: u64

    @struct
    class Tree:
        lock: SpinLock
        root: RbRoot[Node, "rb"]
        queue: ListHead[Item, "link"]

    trees = Array(Tree, 1)

    @bpf_program("syscall")
    def depth(ctx) -> int:
        v = trees.lookup(0)
        if v is None:
            return 0
        r: u64 = 0
        with v.lock:
            x = v.root.root()
            for i in range(30):
                if x is None:
                    break
                r = i + 1
                x = v.root.left(x)
            f = v.queue.back()
            if f is not None:
                r += f.key
        return int(r)
''')


def test_a_bounded_walk_under_the_lock_compiles() -> None:
    assert ebpfpy.compile(source=SRC, filename="walk.py")[:4] == b"\x7fELF"


def test_peeks_need_a_kernel_with_the_kfuncs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Linux 6.16 the kernel has none of these kfuncs: E370 at each call."""
    missing = {"bpf_rbtree_root", "bpf_rbtree_left", "bpf_list_back"}
    monkeypatch.setattr(check_alloc, "kernel_lacks_func", lambda name: name in missing)
    with pytest.raises(CompileError) as info:
        compile_module(source=SRC, filename="walk.py", stop_after="check")
    got = [(e.code, e.lineno, e.message) for e in info.value.errors]
    assert [(c, ln) for c, ln, _ in got] == [("E370", 30), ("E370", 35), ("E370", 36)]
    assert "bpf_rbtree_root" in got[0][2] and "6.16" in got[0][2]
    assert "bpf_list_back" in got[2][2]


NEWER = textwrap.dedent('''
    from ebpfpy import (Array, ListNode, PerCpuKptr, RbNode, Refcount, XdpContext, bpf_program,
                        helpers, struct, u64)

    @struct
    class Node:
        key: u64
        rb: RbNode
        link: ListNode
        ref: Refcount

    @struct
    class Vals:
        n: u64

    @bpf_program("xdp")
    def main(ctx: XdpContext) -> int:
        n = helpers.obj_new(Node)
        if n is None:
            return 0
        m = helpers.refcount_acquire(n)
        helpers.obj_drop(n)
        if m is not None:
            helpers.obj_drop(m)
        p = helpers.percpu_obj_new(Vals)
        if p is not None:
            helpers.percpu_obj_drop(p)
        return 0
''')


def test_refcount_and_percpu_need_their_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Linux 6.4 (bpf_refcount_acquire) and 6.6 (bpf_percpu_obj_new): E370 naming
    the version and what to do instead."""
    compile_module(source=NEWER, filename="newer.py", stop_after="check")       # this kernel
    monkeypatch.setattr(check_alloc, "kernel_lacks_func", lambda name: True)
    with pytest.raises(CompileError) as info:
        compile_module(source=NEWER, filename="newer.py", stop_after="check")
    got = [(e.code, e.lineno, e.message) for e in info.value.errors]
    assert [(c, ln) for c, ln, _ in got] == [("E370", 21), ("E370", 25)]
    assert "bpf_refcount_acquire_impl" in got[0][2] and "6.4" in got[0][2]
    assert "bpf_percpu_obj_new_impl" in got[1][2] and "6.6" in got[1][2]
