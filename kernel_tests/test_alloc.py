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
    with ebpfpy.load(str(path)) as obj:
        Args = obj.structs.Args
        got = [getattr(obj.programs, op).test_run(ctx=Args(slot=s, key=k)).retval
               for op, s, k in ops]
        assert [obj.maps.slots[i].stores for i in range(4)] == \
            [sum(1 for op, s, _ in ops if op == "put" and s == i) for i in range(4)]
    assert got == _model_run(ops)
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
