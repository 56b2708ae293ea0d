"""Reference-counted allocated objects in the kernel: a ``@struct`` with a ``Refcount``
field (struct bpf_refcount) may be linked into a tree and a list at once, through
``helpers.refcount_acquire(n)`` (bpf_refcount_acquire_impl), the second owner.

Random insertions (each node in the tree and at the back of the list), removals of the
smallest from the tree (the node stays in the list) and of the oldest from the list (and from
the tree when it is still there, found through the list's ``front()``) give what a Python
model of the two collections gives, and what the simulator gives.
"""
from __future__ import annotations

import collections
import random
import textwrap

import ebpfpy
from ebpfpy import libbpf
from ebpfpy.testing import Simulator

BOTH = textwrap.dedent('''
    from ebpfpy import (Array, ListHead, ListNode, RbNode, RbRoot, Refcount, SpinLock, bpf_function,
                        bpf_program, helpers, struct, u32, u64)

    @struct
    class Args:
        key: u64
        front: u32

    @struct
    class Node:
        key: u64
        rb: RbNode
        link: ListNode
        ref: Refcount

    @struct
    class Both:
        lock: SpinLock
        tree: RbRoot[Node, "rb"]
        fifo: ListHead[Node, "link"]

    boths = Array(Both, 1)

    @bpf_function
    def less(a: Node, b: Node) -> bool:
        return a.key < b.key

    @bpf_program("syscall")
    def add(ctx: Args) -> int:
        """A node in the tree and (a second reference) at the back of the list."""
        v = boths.lookup(0)
        if v is None:
            return 0
        n = helpers.obj_new(Node)
        if n is None:
            return 0
        n.key = ctx.key
        m = helpers.refcount_acquire(n)
        with v.lock:
            v.tree.add(n, less)
            if m is not None:
                v.fifo.push_back(m)
        return 1

    @bpf_program("syscall")
    def pop_min(ctx: Args) -> int:
        v = boths.lookup(0)
        if v is None:
            return 0
        with v.lock:
            m = v.tree.pop_first()
        if m is None:
            return 0
        r = m.key + 1
        helpers.obj_drop(m)
        return int(r)

    @bpf_program("syscall")
    def pop_oldest(ctx: Args) -> int:
        """The oldest node leaves the list and, if it is still there, the tree: 1 + its key, +
        1000 when it was in the tree too; 0 when the list is empty."""
        v = boths.lookup(0)
        if v is None:
            return 0
        with v.lock:
            x = v.fifo.front()
            t = v.tree.remove(x) if x is not None else None
            m = v.fifo.pop_front()
        r: u64 = 0
        if t is not None:
            r = 1000
            helpers.obj_drop(t)
        if m is not None:
            r += m.key + 1
            helpers.obj_drop(m)
        return int(r)
''')


def test_a_node_in_a_tree_and_a_list_matches_a_python_model(tmp_path) -> None:
    path = tmp_path / "both.py"
    path.write_text(BOTH)
    rng = random.Random(21)
    sim = Simulator(source=BOTH, filename="both.py")
    tree: list[tuple[int, int]] = []        # (key, serial), in the tree's order
    fifo: collections.deque[tuple[int, int]] = collections.deque()
    serial = 0
    seen = collections.Counter()
    mark = libbpf.message_mark()
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        for step in range(400):
            op = rng.choice(["add", "add", "add", "pop_min", "pop_oldest"])
            key = rng.randrange(60)                  # equal keys: ties keep insertion order
            got = getattr(obj.programs, op).test_run(ctx=Args(key=key, front=0)).retval
            assert sim.run(op, ctx={"key": key, "front": 0}).retval == got, (step, op)
            if op == "add":
                serial += 1
                tree.append((key, serial))
                tree.sort()
                fifo.append((key, serial))
                want = 1
            elif op == "pop_min":
                want = tree.pop(0)[0] + 1 if tree else 0
            else:
                want = 0
                if fifo:
                    node = fifo.popleft()
                    want = node[0] + 1
                    if node in tree:
                        tree.remove(node)
                        want += 1000
            assert got == want, (step, op, key)
            seen[(op, got >= 1000)] += 1
    # both kinds of removal happened, and the list gave back nodes in and out of the tree
    assert seen[("pop_oldest", True)] > 10 and seen[("pop_oldest", False)] > 10, seen
    assert not any("BTF is optional" in m for m in libbpf.messages_since(mark))
