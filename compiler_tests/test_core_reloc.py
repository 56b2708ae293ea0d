"""CO-RE: kernel struct field reads carry ``.BTF.ext`` field relocations naming the fields.

The ``.BTF.ext`` header grew ``core_relo_off``/``core_relo_len`` after the line info
(``hdr_len`` >= 32).  The core_relo block is ``u32 rec_size`` then, per code section,
``u32 sec_name_off, u32 num_info`` and records ``{u32 insn_off, type_id, access_str_off,
kind}``; ``kind`` 0 is BPF_CORE_FIELD_BYTE_OFFSET and the access string ``"0:95"`` is the
member index path inside the root type.  These tests read the kernel's BTF (no bpf() call).
"""
from __future__ import annotations

import os
import struct
import time

import pytest

import ebpfpy
from ebpfpy import CompileError
from ebpfpy.objfile.btf import Btf
from ebpfpy.objfile.elf import BpfElf

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")

PPID = '''
from ebpfpy import bpf_program, helpers, u32, Array
from ebpfpy.kernel import task_struct

out = Array(u32, 2)

@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    task = helpers.get_current_task_btf()
    out[0] = u32(task.real_parent.tgid)
    out[1] = u32(task.pid)
    return 0
'''


def core_relos(elf: bytes) -> list[tuple[str, str, str, int]]:
    """(section, root type name, field path by name, kind) of every CO-RE relocation."""
    obj = BpfElf(elf)
    btf = Btf(obj.section_data(".BTF"))
    ext = obj.section_data(".BTF.ext")
    magic, _ver, _flags, hdr_len = struct.unpack_from("<HBBI", ext, 0)
    assert magic == 0xEB9F
    assert hdr_len >= 32, "this .BTF.ext header has no core_relo fields"
    core_off, core_len = struct.unpack_from("<II", ext, 24)
    assert core_len > 0, "no CO-RE relocations"
    pos = hdr_len + core_off
    end = pos + core_len
    rec_size = struct.unpack_from("<I", ext, pos)[0]
    assert rec_size == 16
    pos += 4
    out = []
    while pos < end:
        sec_off, n = struct.unpack_from("<II", ext, pos)
        pos += 8
        for _ in range(n):
            _insn, type_id, access_off, kind = struct.unpack_from("<IIII", ext, pos)
            pos += rec_size
            root = btf.resolve(type_id)
            path = _path_names(btf, type_id, btf.string(access_off))
            out.append((btf.string(sec_off), _essential(root.name if root else "?"), path, kind))
    return out


def _essential(name: str) -> str:
    """libbpf's essential name: what precedes a "___flavor" suffix."""
    return name.split("___")[0]


def _path_names(btf: Btf, type_id: int, access: str) -> str:
    """"0:95:2" of struct X → "X.a.b": follow member indices through the local BTF."""
    t = btf.resolve(type_id)
    names = [_essential(t.name)]
    for idx in [int(x) for x in access.split(":")[1:]]:
        name, mtype, _off = t.members[idx]
        names.append(name or "<anon>")
        t = btf.resolve(mtype)
    return ".".join(names)


def test_task_real_parent_tgid_has_field_relocations() -> None:
    relos = core_relos(ebpfpy.compile(source=PPID, filename="ppid.py"))
    fields = {(root, path, kind) for _sec, root, path, kind in relos}
    assert ("task_struct", "task_struct.real_parent", 0) in fields
    assert ("task_struct", "task_struct.tgid", 0) in fields
    assert ("task_struct", "task_struct.pid", 0) in fields
    assert {sec for sec, *_ in relos} == {"tp_btf/sched_process_exec"}


def test_only_named_types_and_fields_are_emitted() -> None:
    obj = BpfElf(ebpfpy.compile(source=PPID, filename="ppid.py"))
    btf = Btf(obj.section_data(".BTF"))
    tasks = [t for t in btf.types if t and t.kind == "STRUCT" and _essential(t.name) == "task_struct"]
    assert len(tasks) == 1
    task = tasks[0]
    assert sorted(m[0] for m in task.members) == ["pid", "real_parent", "tgid"]
    # the kernel's size, so default offsets are this kernel's own
    assert task.size_or_type > 1000
    assert len(obj.section_data(".BTF")) < 4096


def test_compile_time_stays_small() -> None:
    ebpfpy.compile(source=PPID, filename="warm.py")
    t = time.perf_counter()
    ebpfpy.compile(source=PPID.replace("out[1]", "out[0]"), filename="ppid2.py")
    assert time.perf_counter() - t < 2.0


def test_embedded_struct_and_array_fields() -> None:
    src = '''
from ebpfpy import bpf_program, helpers, u64, u8, Array
from ebpfpy.kernel import task_struct
out = Array(u64, 1)
names = Array(u8[16], 1)

@bpf_program("tp_btf/sched_switch")
def on_switch(ctx) -> int:
    task = helpers.get_current_task_btf()
    out[0] = task.se.vruntime
    names[0] = task.comm
    return 0
'''
    relos = core_relos(ebpfpy.compile(source=src, filename="emb.py"))
    paths = {path for _s, _r, path, _k in relos}
    assert "task_struct.se.vruntime" in paths
    assert "task_struct.comm" in paths


def test_tp_btf_and_fentry_arguments_by_name() -> None:
    src = '''
from ebpfpy import bpf_program, u32, u64, Array
out = Array(u64, 4)

@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    out[0] = u64(ctx.old_pid)
    out[1] = u64(ctx.p.tgid)
    return 0

@bpf_program("fentry/do_unlinkat")
def on_unlink(ctx) -> int:
    out[2] = u64(ctx.dfd)
    return 0

@bpf_program("fexit/do_unlinkat")
def on_unlink_ret(ctx) -> int:
    out[3] = u64(ctx.ret)
    return 0
'''
    relos = core_relos(ebpfpy.compile(source=src, filename="args.py"))
    assert ("tp_btf/sched_process_exec", "task_struct", "task_struct.tgid", 0) in relos


@pytest.mark.parametrize("body, code", [
    ("task.pid = 1", "E261"),
    ("x = task.no_such_field", "E263"),
    ("x = missing_struct(0)", "E260"),
    ("x = task.sched_reset_on_fork", "E262"),               # a bit field
    ("helpers.seq_printf(task, \"%d\", 1)", "E264"),
    ("x = helpers.field_exists(task)", "E265"),
    ("x = helpers.type_size(1)", "E265"),
])
def test_kernel_type_errors(body: str, code: str) -> None:
    src = f'''
from ebpfpy import bpf_program, helpers
from ebpfpy.kernel import task_struct, missing_struct

@bpf_program("tp_btf/sched_switch")
def f(ctx) -> int:
    task = helpers.get_current_task_btf()
    {body}
    return 0
'''
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(source=src, filename="bad.py")
    assert info.value.code == code
    assert info.value.lineno == 8


def test_tracepoint_fields_fall_back_to_btf(monkeypatch: pytest.MonkeyPatch) -> None:
    from ebpfpy.frontend import contexts
    monkeypatch.setattr(contexts, "TRACEFS_ROOTS", ("/nonexistent",))
    contexts.tracepoint_fields.cache_clear()
    try:
        src = '''
from ebpfpy import bpf_program, u64, Array
out = Array(u64, 2)

@bpf_program("tracepoint/sched/sched_process_exec")
def on_exec(ctx) -> int:
    out[0] = u64(ctx.pid)
    out[1] = u64(ctx.old_pid)
    return 0

@bpf_program("tracepoint/syscalls/sys_enter_openat")
def on_open(ctx) -> int:
    out[1] = u64(ctx.args[2])
    return 0
'''
        ebpfpy.compile(source=src, filename="tpbtf.py")
    finally:
        contexts.tracepoint_fields.cache_clear()


def test_kernel_struct_parameter_of_a_bpf_function() -> None:
    src = '''
from ebpfpy import bpf_program, bpf_function, helpers, u32, Array, kernel

out = Array(u32, 1)

@bpf_function
def parent_of(t: kernel.task_struct) -> u32:
    return u32(t.real_parent.tgid)

@bpf_program("tp_btf/sched_process_exec")
def on_exec(ctx) -> int:
    out[0] = parent_of(ctx.p)
    return 0
'''
    relos = core_relos(ebpfpy.compile(source=src, filename="param.py"))
    paths = {path for _sec, _root, path, _kind in relos}      # LLVM may inline parent_of
    assert {"task_struct.real_parent", "task_struct.tgid"} <= paths


def test_field_and_type_queries_are_relocations() -> None:
    src = '''
from ebpfpy import bpf_program, helpers, u64, Array
from ebpfpy.kernel import task_struct, sched_entity
out = Array(u64, 4)

@bpf_program("tp_btf/sched_switch")
def f(ctx) -> int:
    task = helpers.get_current_task_btf()
    out[0] = u64(helpers.field_exists(task.tgid))
    out[1] = helpers.field_size(task.comm)
    out[2] = u64(helpers.type_exists(sched_entity))
    out[3] = helpers.type_size(task_struct)
    return 0
'''
    relos = {(root, path, kind) for _s, root, path, kind in
             core_relos(ebpfpy.compile(source=src, filename="queries.py"))}
    # libbpf's bpf_core_relo_kind: 1 FIELD_BYTE_SIZE, 2 FIELD_EXISTS, 8 TYPE_EXISTS, 9 TYPE_SIZE
    assert ("task_struct", "task_struct.tgid", 2) in relos
    assert ("task_struct", "task_struct.comm", 1) in relos
    assert ("sched_entity", "sched_entity", 8) in relos
    assert ("task_struct", "task_struct", 9) in relos


@pytest.mark.parametrize("section", ["tp_btf/no_such_tracepoint", "fentry/no_such_function_x",
                                     "fexit/no_such_function_x"])
def test_unknown_attach_target_is_reported_at_the_decorator(section: str) -> None:
    src = f'''
from ebpfpy import bpf_program

@bpf_program("{section}")
def f(ctx) -> int:
    return 0
'''
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(source=src, filename="target.py")
    assert (info.value.code, info.value.lineno) == ("E266", 4)


def test_fentry_fexit_objects_name_their_targets() -> None:
    src = '''
from ebpfpy import bpf_program, u64, Array
out = Array(u64, 2)

@bpf_program("fentry/do_unlinkat")
def on_unlink(ctx) -> int:
    out[0] = u64(ctx.dfd)
    return 0

@bpf_program("fexit/do_unlinkat")
def on_unlink_ret(ctx) -> int:
    out[1] = u64(ctx.ret)
    return 0
'''
    obj = BpfElf(ebpfpy.compile(source=src, filename="fentry.py"))
    assert {s.name for s in obj.program_sections} == {"fentry/do_unlinkat", "fexit/do_unlinkat"}
    btf = Btf(obj.section_data(".BTF"))
    funcs = {t.name for t in btf.types if t and t.kind == "FUNC"}
    assert {"on_unlink", "on_unlink_ret"} <= funcs


def test_an_address_reference_cannot_be_a_parameter() -> None:
    src = '''
from ebpfpy import bpf_program, bpf_function, u32, Array
from ebpfpy.kernel import task_struct
out = Array(u32, 1)

@bpf_function
def tgid_of(t: task_struct) -> u32:
    return u32(t.tgid)

@bpf_program("raw_tp/sched_process_exec")
def f(ctx) -> int:
    out[0] = tgid_of(task_struct(ctx.args[0]))
    return 0
'''
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(source=src, filename="probe_param.py")
    assert (info.value.code, info.value.lineno) == ("E267", 12)


@pytest.mark.parametrize("event, args", [
    ("sched_wakeup", ["p"]), ("sched_wakeup_new", ["p"]), ("sched_waking", ["p"]),
    ("softirq_entry", ["vec_nr"]), ("softirq_exit", ["vec_nr"]),
    ("mm_vmscan_direct_reclaim_begin", ["order", "gfp_flags"]),
    ("mm_vmscan_direct_reclaim_end", ["nr_reclaimed"]),
    ("sched_process_free", ["p"]), ("sched_switch", ["preempt", "prev", "next", "prev_state"]),
])
def test_tp_btf_arguments_named_by_their_event_class(event: str, args: list[str]) -> None:
    """DEFINE_EVENT tracepoints have no __bpf_trace_<event>: names come from their class."""
    from ebpfpy.model.kernel_types import vmlinux
    kb = vmlinux()
    assert kb is not None
    got = kb.tp_btf_args(event)
    if got is None:
        pytest.skip(f"this kernel has no btf_trace_{event}")
    assert [n for n, _t in got] == args


def test_unknown_tp_btf_argument_lists_the_arguments() -> None:
    src = '''
from ebpfpy import bpf_program

@bpf_program("tp_btf/softirq_entry")
def f(ctx) -> int:
    return ctx.vec
'''
    with pytest.raises(CompileError) as info:
        ebpfpy.compile(source=src, filename="bad.py")
    err = info.value
    assert (err.code, err.lineno, err.col_offset) == ("E268", 6, 11)
    assert "are: vec_nr" in str(err)


FLAVOUR = '''
from ebpfpy import bpf_program, helpers, kernel_struct, Array, i32, i64, u64

@kernel_struct
class task_struct___pre514:
    state: i64
    pid: i32

out = Array(u64, 3)

@bpf_program("syscall")
def main(ctx) -> int:
    t = task_struct___pre514(helpers.get_current_task_btf())
    out[0] = u64(helpers.field_exists(t.state))
    out[1] = u64(t.pid)
    if helpers.field_exists(t.state):
        out[2] = u64(t.state)
    return 0
'''


def test_flavour_fields_relocate_by_name() -> None:
    """A @kernel_struct flavour reaches BTF under its own name (libbpf strips the part after
    the last ___): this kernel's field at its offset, the missing one after the struct's
    end; reads and field_exists carry relocations on it."""
    elf = ebpfpy.compile(source=FLAVOUR, filename="flavour.py")
    btf = Btf(BpfElf(elf).section_data(".BTF"))
    fl = [t for t in btf.types if t and t.kind == "STRUCT" and t.name.startswith("task_struct___pre514")]
    assert len(fl) == 1
    from ebpfpy.model.kernel_types import kernel_struct
    task = kernel_struct("task_struct")
    members = {name: off // 8 for name, _t, off in fl[0].members}
    assert members["pid"] == task.fields["pid"].offset
    assert members["state"] >= task.size
    kinds = {(path.split(".", 1)[1], kind) for _s, root, path, kind in core_relos(elf)
             if root == "task_struct"}
    assert {("state", 2), ("pid", 0), ("state", 0)} <= kinds


ENUMS = '''
from ebpfpy import bpf_program, helpers, kernel_enum, Array, u64

@kernel_enum
class bpf_func_id___mine:
    BPF_FUNC_ktime_get_ns = 0
    BPF_FUNC_not_in_this_kernel = 7

out = Array(u64, 2)

@bpf_program("syscall")
def main(ctx) -> int:
    out[0] = u64(helpers.enum_value(bpf_func_id___mine.BPF_FUNC_ktime_get_ns))
    out[1] = u64(helpers.enum_value_exists(bpf_func_id___mine.BPF_FUNC_not_in_this_kernel))
    return 0
'''


def test_enum_queries_are_enum_value_relocations() -> None:
    """enum_value / enum_value_exists carry BPF_CORE_ENUMVAL_VALUE (11) / _EXISTS (10)
    relocations on the enum's local BTF (its enumerator index as the access string), the
    enum keeping this kernel's value (BPF_FUNC_ktime_get_ns = 5) or the declared one."""
    elf = ebpfpy.compile(source=ENUMS, filename="enums.py")
    obj = BpfElf(elf)
    btf = Btf(obj.section_data(".BTF"))
    ext = obj.section_data(".BTF.ext")
    hdr_len = struct.unpack_from("<HBBI", ext, 0)[3]
    core_off, core_len = struct.unpack_from("<II", ext, 24)
    pos, end = hdr_len + core_off + 4, hdr_len + core_off + core_len
    got = set()
    while pos < end:
        _sec, n = struct.unpack_from("<II", ext, pos)
        pos += 8
        for _ in range(n):
            _insn, type_id, access_off, kind = struct.unpack_from("<IIII", ext, pos)
            pos += 16
            got.add((_essential(btf.type(type_id).name), btf.string(access_off), kind))
    assert got == {("bpf_func_id", "0", 11), ("bpf_func_id", "1", 10)}
    enum = next(t for t in btf.types if t and t.kind == "ENUM" and t.name.startswith("bpf_func_id___mine"))
    assert enum.vlen == 2


def test_flavour_members_are_in_offset_order() -> None:
    # a flavour field this kernel lacks is laid out after the struct's end; declared before
    # fields it has, it must still come last in BTF, or the kernel refuses the object's BTF
    # ("pid type_id=2 bits_offset=10112 Invalid member bits_offset")
    src = (
        "from ebpfpy import Array, bpf_program, helpers, i32, i64, kernel_struct, u64\n"
        "@kernel_struct\nclass task_struct___pre514:\n    state: i64\n    pid: i32\n"
        "out = Array(u64, 2)\n"
        '@bpf_program("syscall")\ndef main(ctx) -> int:\n'
        "    old = task_struct___pre514(helpers.get_current_task_btf())\n"
        "    out[0] = u64(old.pid)\n"
        "    if helpers.field_exists(old.state):\n        out[1] = u64(old.state)\n"
        "    return 0\n")
    btf = Btf(BpfElf(ebpfpy.compile(source=src, filename="fl.py")).section_data(".BTF"))
    st = next(t for t in btf.types[1:] if t and t.kind == "STRUCT"
              and t.name.startswith("task_struct___pre514"))
    offsets = [off for _name, _tid, off in st.members]
    assert [m[0] for m in st.members] == ["pid", "state"] and offsets == sorted(offsets)
