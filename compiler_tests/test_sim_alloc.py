"""The simulator models memory a program allocates: ``obj_new``/``obj_drop``, ``Kptr``
fields, trees (ordered by the program's ``less``) and lists, against Python's own
``sorted``/``deque`` (the kernel tests compare the simulator with the kernel too)."""
from __future__ import annotations

import bisect
import collections
import random
import textwrap

from ebpfpy.testing import Simulator

SRC = textwrap.dedent('''
    from ebpfpy import (Array, Kptr, ListHead, ListNode, RbNode, RbRoot, SpinLock,
                        bpf_function, bpf_program, helpers, struct, u32, u64)

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
    class Box:
        lock: SpinLock
        root: RbRoot[Node, "rb"]
        queue: ListHead[Item, "link"]
        last: Kptr[Item]

    boxes = Array(Box, 1)

    @bpf_function
    def greater(a: Node, b: Node) -> bool:
        return a.key > b.key               # largest first

    @bpf_program("syscall")
    def add(ctx: Args) -> int:
        v = boxes.lookup(0)
        if v is None:
            return 0
        n = helpers.obj_new(Node)
        if n is None:
            return 0
        n.key = ctx.key
        with v.lock:
            v.root.add(n, greater)
        return 1

    @bpf_program("syscall")
    def pop_max(ctx: Args) -> int:
        v = boxes.lookup(0)
        if v is None:
            return 0
        with v.lock:
            m = v.root.pop_first()
        if m is None:
            return 0
        r = m.key + 1
        helpers.obj_drop(m)
        return int(r)

    @bpf_program("syscall")
    def push(ctx: Args) -> int:
        """Push an Item and keep a second one in the Kptr; 1 + the key it replaced."""
        v = boxes.lookup(0)
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
        k = helpers.obj_new(Item)
        if k is None:
            return 0
        k.key = ctx.key
        old = helpers.kptr_xchg(v.last, k)
        if old is None:
            return 0
        r = old.key + 1
        helpers.obj_drop(old)
        return int(r)

    @bpf_program("syscall")
    def pop(ctx: Args) -> int:
        v = boxes.lookup(0)
        if v is None:
            return 0
        with v.lock:
            m = v.queue.pop_front() if ctx.front else None
            b = v.queue.pop_back() if not ctx.front else None
        r: u64 = 0
        if m is not None:
            r = m.key + 1
            helpers.obj_drop(m)
        if b is not None:
            r = b.key + 1
            helpers.obj_drop(b)
        return int(r)
''')


def test_simulated_tree_list_and_kptr_match_python() -> None:
    sim = Simulator(source=SRC, filename="box.py")
    rng = random.Random(3)
    tree: list[int] = []                 # ascending; the program's order is descending
    queue: collections.deque[int] = collections.deque()
    last = None
    for _ in range(300):
        op = rng.choice(["add", "add", "pop_max", "push", "push", "pop"])
        key, front = rng.randrange(50), rng.randrange(2)
        got = sim.run(op, ctx={"key": key, "front": front}).retval
        if op == "add":
            bisect.insort(tree, key)
            want = 1
        elif op == "pop_max":
            want = tree.pop() + 1 if tree else 0
        elif op == "push":
            (queue.appendleft if front else queue.append)(key)
            want, last = (0 if last is None else last + 1), key
        else:
            want = ((queue.popleft() if front else queue.pop()) + 1) if queue else 0
        assert got == want, (op, key, front)
    assert sim.maps.boxes[0].root is None          # userspace sees no kernel-owned object
    box = sim.map_objects["boxes"].get_value(0)    # the simulator's own state
    assert [n.key for n in box.root.items] == sorted(tree, reverse=True)
    assert [n.key for n in box.queue.items] == list(queue)
    assert box.last.obj.key == last


def test_equal_keys_keep_insertion_order_as_in_the_kernel() -> None:
    """The kernel's rbtree_add goes right when ``less(new, node)`` is false, so among equal
    keys the newer one comes later; the simulator inserts after them too."""
    sim = Simulator(source=SRC, filename="box.py")
    for k in (5, 5, 7):
        sim.run("add", ctx={"key": k, "front": 0})
    nodes = sim.map_objects["boxes"].get_value(0).root.items
    assert [n.key for n in nodes] == [7, 5, 5]
