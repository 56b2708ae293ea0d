"""E178 (a hash map reference used after something may have freed its element) refuses only
what is unsafe: the common shapes below -- lookup then delete of the same key, insert in the
None branch, a fresh lookup after a change, arrays, another map -- are accepted."""
from __future__ import annotations

import textwrap

import pytest

from ebpfpy.errors import CompileError
from ebpfpy.testing import Simulator

HEAD = ("from ebpfpy import bpf_program, bpf_function, struct, HashMap, LruHashMap, Array, "
        "u32, u64, i32, i64, helpers\n")

ACCEPTED = {
    # libbpf-tools: read the start timestamp, then delete the entry (the reference is dead)
    "lookup_then_delete_same_key": ("""
        start = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            start[1] = 40
            t = start.lookup(1)
            if t is None:
                return 0
            d = t.value + 2
            del start[1]
            return i32(d)
    """, 42),
    # insert in the None branch, which returns
    "insert_when_absent": ("""
        counts = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            r = counts.lookup(3)
            if r is None:
                counts[3] = 1
                return 1
            r.value += 1
            return i32(r.value)
    """, 1),
    # a fresh lookup after the change
    "lookup_again_after_insert": ("""
        counts = HashMap(u32, u64, max_entries=8)
        @bpf_function
        def reset(k: u32) -> None:
            del counts[k]
            counts[k] = 10
        @bpf_program("syscall")
        def run(ctx) -> int:
            r = counts.lookup(3)
            if r is None:
                counts[3] = 0
                r = counts.lookup(3)
                if r is None:
                    return 0
            reset(3)
            r = counts.lookup(3)
            if r is None:
                return 0
            r.value += 5
            return i32(r.value)
    """, 15),
    # a lookup per iteration, the entry deleted at the end of the body
    "lookup_per_iteration": ("""
        h = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            total: u64 = 0
            for i in range(4):
                h[u32(i)] = u64(i)
            for i in range(4):
                r = h.lookup(u32(i))
                if r is None:
                    continue
                total += r.value
                del h[u32(i)]
            return i32(total)
    """, 6),
    # array elements are never freed; another map's changes do not matter
    "array_and_other_map": ("""
        a = Array(u64, 4)
        other = HashMap(u32, u64, max_entries=4)
        h = HashMap(u32, u64, max_entries=4)
        @bpf_program("syscall")
        def run(ctx) -> int:
            h[0] = 1
            x = a.lookup(1)
            y = h.lookup(0)
            if x is None or y is None:
                return 0
            a[1] = 7
            a[2] += 1
            other[5] = 9
            del other[5]
            x.value += 1
            y.value += 1
            return i32(x.value + y.value)
    """, 10),
    # a write or delete of another key frees only that key's element: keys known to differ
    # are different constants, or E and E + c of an unchanged E
    "other_keys": ("""
        h = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            k = helpers.get_prandom_u32() % 4
            h[k] = 5
            r = h.lookup(k)
            if r is None:
                return 0
            h[k + 1] = r.value
            del h[k - 1]
            r.value += 1
            h[7] = r.value
            s = h.lookup(7)
            if s is None:
                return 0
            h[6] = 2
            del h[5]
            s.value += 1
            return i32(s.value)
    """, 7),
}

REFUSED = {
    # k changes between the lookup and the write of k + 1, which may be the looked-up key
    "key_variable_changed": """
        h = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            k = helpers.get_prandom_u32() % 4
            r = h.lookup(k)
            if r is None:
                return 0
            k -= 1
            h[k + 1] = 3
            return i32(r.value)
    """,
    # the key is read from the ctx, which a call may change
    "key_read_through_a_call": """
        @struct
        class A:
            k: u32
        h = HashMap(u32, u64, max_entries=8)
        @bpf_function
        def shift(a: A) -> None:
            a.k += 1
        @bpf_program("syscall")
        def run(ctx: A) -> int:
            r = h.lookup(ctx.k + 1)
            if r is None:
                return 0
            shift(ctx)
            del h[ctx.k]
            return i32(r.value)
    """,
    # m.replace(k, v) frees the element it replaces
    "replace_method": """
        h = HashMap(u32, u64, max_entries=8)
        @bpf_program("syscall")
        def run(ctx) -> int:
            r = h.lookup(1)
            if r is None:
                return 0
            h.replace(1, 5)
            return i32(r.value)
    """,
    # an LRU insert may evict any entry
    "lru_insert_of_another_key": """
        h = LruHashMap(u32, u64, max_entries=2)
        @bpf_program("syscall")
        def run(ctx) -> int:
            r = h.lookup(1)
            if r is None:
                return 0
            h[2] = 1
            return i32(r.value)
    """,
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name: str) -> None:
    with pytest.raises(CompileError, match=r"\[E178\]"):
        Simulator(source=HEAD + textwrap.dedent(REFUSED[name]), filename=f"{name}.py")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted(name: str) -> None:
    src, ret = ACCEPTED[name]
    sim = Simulator(source=HEAD + textwrap.dedent(src), filename=f"{name}.py")
    assert sim.run("run").ret == ret


def test_message_teaches_the_fix() -> None:
    src = HEAD + textwrap.dedent("""
        h = HashMap(u32, u64, max_entries=4)
        @bpf_program("syscall")
        def run(ctx) -> int:
            r = h.lookup(0)
            if r is None:
                return 0
            h[0] = 2
            return i32(r.value)
    """)
    with pytest.raises(CompileError) as info:
        Simulator(source=src, filename="stale.py")
    text = str(info.value)
    assert "stale.py:10:16: error: 'r' may point to a freed element of 'h': `h[0] = 2` (line 9)" in text
    assert "look the key up again after line 9: `r = h.lookup(key)`" in text
