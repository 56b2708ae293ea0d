"""Memory a program allocates, in the kernel: ``helpers.obj_new`` / ``helpers.obj_drop``
and objects kept in a map value's ``Kptr`` field with ``helpers.kptr_xchg``.

The programs load (libbpf resolves the kfuncs and the ``<local_type_id>`` relocation, the
kernel accepts the ``kptr`` type tag in the map value's BTF), and a random sequence of
stores and takes gives what a Python model of the slots gives.
"""
from __future__ import annotations

import random
import textwrap

import pytest

import ebpfpy
from ebpfpy import libbpf
from ebpfpy.testing import Simulator

KPTR = textwrap.dedent('''
    from ebpfpy import Array, Kptr, bpf_program, helpers, struct, u32, u64

    @struct
    class Args:
        slot: u32
        key: u64

    @struct
    class Item:
        key: u64
        serial: u64

    @struct
    class Slot:
        item: Kptr[Item]
        stores: u64

    slots = Array(Slot, 4)

    @bpf_program("syscall")
    def put(ctx: Args) -> int:
        """Store a new Item in slot ctx.slot; 1 + the key of the one it replaces, or 0."""
        v = slots.lookup(ctx.slot)
        if v is None:
            return 0
        n = helpers.obj_new(Item)
        if n is None:
            return 0
        n.key = ctx.key
        v.stores += 1
        n.serial = v.stores
        old = helpers.kptr_xchg(v.item, n)
        if old is None:
            return 0
        r = old.key + 1
        helpers.obj_drop(old)
        return int(r)

    @bpf_program("syscall")
    def take(ctx: Args) -> int:
        """Take slot ctx.slot's Item out: its key * 16 + serial, or 0 when empty."""
        v = slots.lookup(ctx.slot)
        if v is None:
            return 0
        n = helpers.kptr_xchg(v.item, None)
        if n is None:
            return 0
        r = n.key * 16 + n.serial
        helpers.obj_drop(n)
        return int(r)
''')


def _model_run(ops: list[tuple[str, int, int]]) -> list[int]:
    """What the programs return, computed in Python: slot -> (key, serial) or None."""
    slots: dict[int, tuple[int, int] | None] = {i: None for i in range(4)}
    stores = [0] * 4
    out = []
    for op, slot, key in ops:
        if op == "put":
            stores[slot] += 1
            old, slots[slot] = slots[slot], (key, stores[slot])
            out.append(0 if old is None else old[0] + 1)
        else:
            old, slots[slot] = slots[slot], None
            out.append(0 if old is None else old[0] * 16 + old[1])
    return out


def test_kptr_store_and_take_match_a_python_model(tmp_path) -> None:
    path = tmp_path / "kptr.py"
    path.write_text(KPTR)
    rng = random.Random(13)
    ops = [(rng.choice(["put", "put", "take"]), rng.randrange(4), rng.randrange(1000))
           for _ in range(60)]
    mark = libbpf.message_mark()
    sim = Simulator(source=KPTR, filename="kptr.py")
    simulated = [sim.run(op, ctx={"slot": s, "key": k}).retval for op, s, k in ops]
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        got = [getattr(obj.programs, op).test_run(ctx=Args(slot=s, key=k)).retval
               for op, s, k in ops]
        assert obj.maps.slots[0].item is None          # 8 kernel-owned bytes: no object here
        assert [obj.maps.slots[i].stores for i in range(4)] == \
            [sum(1 for op, s, _ in ops if op == "put" and s == i) for i in range(4)]
    assert got == _model_run(ops) == simulated
    assert not any("BTF is optional" in m for m in libbpf.messages_since(mark))


def test_kptr_to_a_struct_named_like_a_kernel_struct_is_refused() -> None:
    """The kernel looks a kptr's type up in its own BTF first (``struct node`` exists there):
    the compiler refuses the name instead of letting the map's BTF fail to load."""
    src = KPTR.replace("Item", "node")
    with pytest.raises(ebpfpy.CompileError) as info:
        ebpfpy.compile(source=src, filename="kname.py")
    assert info.value.code == "E325" and info.value.lineno == 16


def _libbpf_version() -> tuple[int, int]:
    import ctypes
    lib = ctypes.CDLL("libbpf.so.1")
    return lib.libbpf_major_version(), lib.libbpf_minor_version()


def test_arena_is_a_compile_error_naming_libbpf_1_4() -> None:
    src = "from ebpfpy import bpf_program\narena = Arena(100)\n\n" \
          "@bpf_program('syscall')\ndef main(ctx) -> int:\n    return 0\n"
    with pytest.raises(ebpfpy.CompileError) as info:
        ebpfpy.compile(source=src, filename="arena.py")
    assert info.value.code == "E326" and "libbpf 1.4" in info.value.message


def test_arena_maps_load() -> None:
    """Arena maps need libbpf's arena relocations (1.4); ebpfpy does not build them before."""
    have = _libbpf_version()
    if have < (1, 4):
        pytest.skip(f"Arena maps need libbpf 1.4 (this machine has libbpf {have[0]}.{have[1]})")
    pytest.fail("libbpf >= 1.4 is installed: build Arena maps (E326 refuses them today)")


LOCKED = textwrap.dedent('''
    from ebpfpy import Array, SpinLock, bpf_program, struct, u32, u64

    @struct
    class Args:
        slot: u32
        add: u64

    @struct
    class Counter:
        lock: SpinLock
        n: u64
        total: u64
        largest: u64

    counters = Array(Counter, 2)

    @bpf_program("syscall")
    def bump(ctx: Args) -> int:
        """Count ctx.add into slot ctx.slot under its lock; the new total."""
        v = counters.lookup(ctx.slot)
        if v is None:
            return 0
        with v.lock:
            v.n += 1
            v.total += ctx.add
            if ctx.add > v.largest:
                v.largest = ctx.add
            r = v.total
        return int(r)
''')


def test_with_lock_loads_and_updates_under_bpf_spin_lock(tmp_path) -> None:
    """``with v.lock:`` is bpf_spin_lock/bpf_spin_unlock around the block: the verifier
    accepts it, and the counters are what Python computes."""
    path = tmp_path / "locked.py"
    path.write_text(LOCKED)
    rng = random.Random(7)
    ops = [(rng.randrange(2), rng.randrange(1, 500)) for _ in range(40)]
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        got = [obj.programs.bump.test_run(ctx=Args(slot=s, add=a)).retval for s, a in ops]
        final = [(obj.maps.counters[i].n, obj.maps.counters[i].total,
                  obj.maps.counters[i].largest) for i in range(2)]
    totals = [0, 0]
    want = []
    for s, a in ops:
        totals[s] += a
        want.append(totals[s])
    assert got == want
    assert final == [(sum(1 for s, _ in ops if s == i), totals[i],
                      max((a for s, a in ops if s == i), default=0)) for i in range(2)]


TREE = textwrap.dedent('''
    from ebpfpy import (Array, ListHead, ListNode, RbNode, RbRoot, SpinLock, bpf_function,
                        bpf_program, helpers, struct, u32, u64)

    @struct
    class Args:
        key: u64
        limit: u64
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
        count: u64
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
            v.count += 1
        return 1

    @bpf_program("syscall")
    def pop_min(ctx: Args) -> int:
        """The smallest key + 1, taken out of the tree; 0 when empty."""
        v = trees.lookup(0)
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
    def pop_below(ctx: Args) -> int:
        """The smallest key + 1 if it is below ctx.limit (taken out), else 0."""
        v = trees.lookup(0)
        if v is None:
            return 0
        with v.lock:
            f = v.root.first()
            m = v.root.remove(f) if f is not None and f.key < ctx.limit else None
        if m is None:
            return 0
        r = m.key + 1
        helpers.obj_drop(m)
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
    def pop(ctx: Args) -> int:
        """Key + 1 of the node taken from the front (ctx.front) or back; 0 when empty."""
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


def test_rbtree_and_list_match_python_models(tmp_path) -> None:
    """Random adds and removals on a red-black tree (ordered by a @bpf_function) and a
    list give what a sorted list and a deque give; what is left is freed with the map."""
    import bisect
    import collections
    path = tmp_path / "tree.py"
    path.write_text(TREE)
    rng = random.Random(12)
    mark = libbpf.message_mark()
    tree: list[int] = []
    adds = 0
    queue: collections.deque[int] = collections.deque()
    sim = Simulator(source=TREE, filename="tree.py")
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        progs = obj.programs
        for _ in range(150):
            op, key, limit, front = rng.choice(["add", "add", "pop_min", "pop_below", "push",
                                                "push", "pop"]), rng.randrange(1000), \
                rng.randrange(1000), rng.randrange(2)
            got = getattr(progs, op).test_run(ctx=Args(key=key, limit=limit, front=front)).retval
            simulated = sim.run(op, ctx={"key": key, "limit": limit, "front": front}).retval
            assert simulated == got, (op, key, limit, front)
            if op == "add":
                bisect.insort(tree, key)
                adds += 1
                want = 1
            elif op == "pop_min":
                want = tree.pop(0) + 1 if tree else 0
            elif op == "pop_below":
                want = tree.pop(0) + 1 if tree and tree[0] < limit else 0
            elif op == "push":
                (queue.appendleft if front else queue.append)(key)
                want = 1
            else:
                want = ((queue.popleft() if front else queue.pop()) + 1) if queue else 0
            assert got == want, (op, key, limit, front)
        assert obj.maps.trees[0].count == adds
    assert not any("BTF is optional" in m for m in libbpf.messages_since(mark))


def test_kptr_to_a_struct_named_like_a_kernel_union_loads(tmp_path) -> None:
    """The kernel looks a kptr's type up by name *and kind* (struct): a name the kernel uses
    only for a union (``bpf_attr``) is free for an allocated struct."""
    src = KPTR.replace("Item", "bpf_attr")
    path = tmp_path / "kunion.py"
    path.write_text(src)
    mark = libbpf.message_mark()
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        assert obj.programs.put.test_run(ctx=Args(slot=1, key=41)).retval == 0
        assert obj.programs.take.test_run(ctx=Args(slot=1, key=0)).retval == 41 * 16 + 1
    assert not any("BTF is optional" in m for m in libbpf.messages_since(mark))
