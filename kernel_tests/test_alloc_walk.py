"""Walking a tree and peeking at a list while the lock is held, in the kernel:
``v.root.root()``, ``left(x)``, ``right(x)`` (bpf_rbtree_root/left/right) and
``v.items.front()`` / ``back()`` (bpf_list_front/back), kfuncs of Linux 6.16.

A binary search from the root in a bounded ``for`` loop under the lock loads, finds what a
sorted list says is there, and takes the number of steps the simulator's red-black tree (the
kernel's algorithm) takes: the two trees have the same shape after every random insertion and
removal.
"""
from __future__ import annotations

import bisect
import collections
import random
import textwrap

import pytest

import ebpfpy
from ebpfpy.model.kernel_types import kernel_lacks_func
from ebpfpy.testing import Simulator

pytestmark = pytest.mark.skipif(kernel_lacks_func("bpf_rbtree_root"),
                                reason="bpf_rbtree_root/left/right and bpf_list_front/back "
                                       "came with Linux 6.16 (E370 on this kernel)")

WALK = textwrap.dedent('''
    from ebpfpy import (Array, ListHead, ListNode, RbNode, RbRoot, SpinLock, bpf_function,
                        bpf_program, helpers, struct, u32, u64)

    @struct
    class Args:
        key: u64
        front: u32

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

    @bpf_function
    def less(a: Node, b: Node) -> bool:
        return a.key < b.key

    @bpf_program("syscall")
    def add(ctx: Args) -> int:
        v = trees.lookup(0)
        if v is None:
            return 0
        n = helpers.obj_new(Node)
        if n is None:
            return 0
        n.key = ctx.key
        with v.lock:
            v.root.add(n, less)
        return 1

    @bpf_program("syscall")
    def find(ctx: Args) -> int:
        """1 + the depth of the node holding ctx.key (a binary search from the root), 0
        when it is absent."""
        v = trees.lookup(0)
        if v is None:
            return 0
        r: u64 = 0
        with v.lock:
            x = v.root.root()
            for i in range(40):
                if x is None:
                    break
                if x.key == ctx.key:
                    r = i + 1
                    break
                if ctx.key < x.key:
                    x = v.root.left(x)
                else:
                    x = v.root.right(x)
        return int(r)

    @bpf_program("syscall")
    def delete(ctx: Args) -> int:
        """1 when a node holding ctx.key was found from the root and taken out."""
        v = trees.lookup(0)
        if v is None:
            return 0
        with v.lock:
            x = v.root.root()
            for _ in range(40):
                if x is None:
                    break
                if x.key == ctx.key:
                    break
                if ctx.key < x.key:
                    x = v.root.left(x)
                else:
                    x = v.root.right(x)
            m = v.root.remove(x) if x is not None and x.key == ctx.key else None
        if m is None:
            return 0
        helpers.obj_drop(m)
        return 1

    @bpf_program("syscall")
    def top(ctx: Args) -> int:
        """1 + the key at the root, 0 for an empty tree."""
        v = trees.lookup(0)
        if v is None:
            return 0
        r: u64 = 0
        with v.lock:
            x = v.root.root()
            if x is not None:
                r = x.key + 1
        return int(r)

    @bpf_program("syscall")
    def push(ctx: Args) -> int:
        v = trees.lookup(0)
        if v is None:
            return 0
        n = helpers.obj_new(Item)
        if n is None:
            return 0
        n.key = ctx.key
        with v.lock:
            if ctx.front:
                v.queue.push_front(n)
            else:
                v.queue.push_back(n)
        return 1

    @bpf_program("syscall")
    def peek(ctx: Args) -> int:
        """1 + the key at the front (ctx.front) or back of the list, 0 when it is empty; the
        node stays in the list, its key raised by 1000 in place."""
        v = trees.lookup(0)
        if v is None:
            return 0
        r: u64 = 0
        with v.lock:
            if ctx.front:
                f = v.queue.front()
            else:
                f = v.queue.back()
            if f is not None:
                r = f.key + 1
                f.key += 1000
        return int(r)

    @bpf_program("syscall")
    def pop(ctx: Args) -> int:
        """1 + the key taken from the front (ctx.front) or back of the list, 0 when empty."""
        v = trees.lookup(0)
        if v is None:
            return 0
        with v.lock:
            m = v.queue.pop_front() if ctx.front else None
            k = v.queue.pop_back() if not ctx.front else None
        r: u64 = 0
        if m is not None:
            r = m.key + 1
            helpers.obj_drop(m)
        if k is not None:
            r = k.key + 1
            helpers.obj_drop(k)
        return int(r)
''')


def test_walk_and_peek_match_python_and_the_simulator(tmp_path) -> None:
    """Random insertions, walks (binary search by key), removals found by a walk, and list
    peeks: the kernel gives what a sorted list and a deque say for every membership and key,
    and the same depth and root as the simulator's red-black tree for every step."""
    path = tmp_path / "walk.py"
    path.write_text(WALK)
    rng = random.Random(13)
    sim = Simulator(source=WALK, filename="walk.py")
    keys: list[int] = []                  # the tree's keys, sorted (all distinct)
    queue: collections.deque[int] = collections.deque()
    pool = list(range(0, 3000, 7))
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        progs = obj.programs
        for step in range(700):
            op = rng.choice(["add", "add", "add", "find", "find", "delete", "top", "push",
                             "peek", "pop"])
            key, front = rng.choice(pool), rng.randrange(2)
            if op == "add" and key in keys:
                op = "find"                    # distinct keys: a binary search finds each
            got = getattr(progs, op).test_run(ctx=Args(key=key, front=front)).retval
            simulated = sim.run(op, ctx={"key": key, "front": front}).retval
            assert simulated == got, (step, op, key, front)
            if op == "add":
                bisect.insort(keys, key)
                assert got == 1
            elif op == "find":
                assert (got > 0) == (key in keys), (step, key)
                # a red-black tree of n nodes is at most 2*log2(n + 1) deep
                assert got <= 2 * (len(keys) + 1).bit_length(), (step, got, len(keys))
            elif op == "delete":
                want = 1 if key in keys else 0
                if want:
                    keys.remove(key)
                assert got == want, (step, key)
            elif op == "top":
                assert (got == 0) == (not keys)
                if keys:
                    assert got - 1 in keys
            elif op == "push":
                (queue.appendleft if front else queue.append)(key)
            elif op == "peek":
                want = 0
                if queue:
                    at = 0 if front else -1
                    want = queue[at] + 1
                    queue[at] += 1000
                assert got == want, (step, front)
            else:
                want = ((queue.popleft() if front else queue.pop()) + 1) if queue else 0
                assert got == want, (step, front)
        # every key is where the simulator's tree has it
        for key in keys:
            got = progs.find.test_run(ctx=Args(key=key, front=0)).retval
            assert got == sim.run("find", ctx={"key": key, "front": 0}).retval > 0
    assert len(keys) > 50
