"""The BPF helpers of ``ebpfpy.helpers``: id, checking rule (``shape``) and result type.

The rules themselves are in ``check/helpers.py``; the lowering reads the ids."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import BOOL, NONE, ArrayType, BpfType, i32, i64, u8, u16, u32, u64

TASK_COMM_LEN = 16
# MAX_BPRINTF_VARARGS (kernel/bpf/helpers.c): the most values bpf_trace_vprintk and
# bpf_seq_printf format in one call; bpf_trace_printk takes at most PRINTK_VALUES
MAX_FORMAT_VALUES = 12
PRINTK_VALUES = 3


@dataclass(frozen=True)
class Helper:
    """``shape`` selects the checking rule; ``ret`` is the result type.  ``sleepable_only``
    helpers may sleep (the kernel's ``might_sleep`` protos): only sleepable programs call them."""

    name: str
    id: int
    shape: str
    ret: BpfType
    sleepable_only: bool = False


def widen_printk_format(fmt: str) -> str:
    """Arguments travel as 64-bit values: ``%d`` becomes ``%lld`` so nothing is cut."""
    return re.sub(r"%([-+ #0-9.]*)([diuxX])", r"%\1ll\2", fmt)


_TABLE = [
    Helper("ktime_get_ns", 5, "noargs", u64),
    Helper("ktime_get_boot_ns", 125, "noargs", u64),
    Helper("get_current_pid_tgid", 14, "noargs", u64),
    Helper("get_current_uid_gid", 15, "noargs", u64),
    Helper("get_smp_processor_id", 8, "noargs", u32),
    Helper("get_prandom_u32", 7, "noargs", u32),
    Helper("get_current_comm", 16, "comm", ArrayType(u8, TASK_COMM_LEN)),
    Helper("printk", 6, "printk", i64),
    Helper("probe_read_kernel", 113, "probe_read", i64),
    Helper("probe_read_user", 112, "probe_read", i64),
    Helper("probe_read_kernel_str", 115, "probe_read", i64),
    Helper("probe_read_user_str", 114, "probe_read", i64),
    Helper("copy_from_user", 148, "probe_read", i64, sleepable_only=True),
    Helper("copy_from_user_task", 191, "copy_from_user_task", i64, sleepable_only=True),
    Helper("loop", 181, "loop", i64),
    Helper("iter_num", -1, "iter_num", i32),
    Helper("get_current_task", 35, "noargs", u64),
    Helper("get_current_task_btf", 158, "task_btf", u64),
    Helper("seq_printf", 126, "seq_printf", i64),
    Helper("get_stack", 67, "get_stack", i64),
    Helper("get_task_stack", 141, "get_stack", i64),
    Helper("current_task_under_cgroup", 37, "cgroup", i64),
    Helper("perf_event_output", 25, "perf_output", i64),
    Helper("seq_write", 127, "seq_write", i64),
    Helper("field_exists", -1, "core_field", BOOL),
    Helper("field_size", -1, "core_field", u32),
    Helper("field_offset", -1, "core_field", u32),
    Helper("type_exists", -1, "core_type", BOOL),
    Helper("type_size", -1, "core_type", u32),
    Helper("enum_value", -1, "core_enum", i64),
    Helper("task_from_pid", -1, "kfunc", NONE),
    Helper("task_release", -1, "kfunc", NONE),
    Helper("ksym_exists", -1, "kfunc", BOOL),
    Helper("enum_value_exists", -1, "core_enum", BOOL),
    Helper("ntohs", -1, "bswap", u16),
    Helper("htons", -1, "bswap", u16),
    Helper("ntohl", -1, "bswap", u32),
    Helper("htonl", -1, "bswap", u32),
    # memory a program allocates (kfuncs bpf_obj_new_impl / bpf_obj_drop_impl, helper 194)
    Helper("obj_new", -1, "alloc", NONE),
    Helper("obj_drop", -1, "alloc", NONE),
    Helper("kptr_xchg", 194, "alloc", NONE),
    Helper("refcount_acquire", -1, "alloc", NONE),      # kfunc bpf_refcount_acquire_impl
    Helper("percpu_obj_new", -1, "alloc", NONE),        # kfunc bpf_percpu_obj_new_impl
    Helper("percpu_obj_drop", -1, "alloc", NONE),       # kfunc bpf_percpu_obj_drop_impl
    Helper("per_cpu_ptr", 153, "alloc", NONE),
    Helper("this_cpu_ptr", 154, "alloc", NONE),
    # atomic instructions on an integer in memory (BPF_ATOMIC, -mcpu=v3), not helpers
    *(Helper(f"atomic_{f}{op}", -1, "atomic", NONE)
      for op in ("add", "sub", "and", "or", "xor") for f in ("", "fetch_")),
    Helper("atomic_xchg", -1, "atomic", NONE),
    Helper("atomic_cmpxchg", -1, "atomic", NONE),
]


@dataclass(frozen=True)
class PacketHelper:
    """A packet helper's arguments, (name, "ctx" | "dst" | "src" | "buf" | an integer type),
    the last ``optional`` of them defaulting to 0; the program kinds the kernel offers it to;
    ``changes``: it may move or resize the packet (the kernel's bpf_helper_changes_pkt_data),
    which makes every packet reference taken before it stale."""

    id: int
    args: tuple[tuple[str, object], ...]
    kinds: tuple[str, ...]
    changes: bool = True
    optional: int = 0


_XDP, _TC = ("xdp",), ("tc",)
_CTX = ("ctx", "ctx")
PACKET_HELPERS: dict[str, PacketHelper] = {
    "xdp_adjust_head": PacketHelper(44, (_CTX, ("delta", i32)), _XDP),
    "xdp_adjust_meta": PacketHelper(54, (_CTX, ("delta", i32)), _XDP),
    "xdp_adjust_tail": PacketHelper(65, (_CTX, ("delta", i32)), _XDP),
    "skb_load_bytes": PacketHelper(26, (_CTX, ("offset", u32), ("dst", "dst")),
                                   ("tc", "socket", "cgroup_skb"), changes=False),
    "skb_store_bytes": PacketHelper(9, (_CTX, ("offset", u32), ("src", "src"), ("flags", u64)),
                                    _TC, optional=1),
    "l3_csum_replace": PacketHelper(10, (_CTX, ("offset", u32), ("old", u64), ("new", u64),
                                         ("size", u64)), _TC),
    "l4_csum_replace": PacketHelper(11, (_CTX, ("offset", u32), ("old", u64), ("new", u64),
                                         ("flags", u64)), _TC),
    "skb_change_tail": PacketHelper(38, (_CTX, ("new_len", u32), ("flags", u64)), _TC, optional=1),
    "skb_change_head": PacketHelper(43, (_CTX, ("head_room", u32), ("flags", u64)), _TC, optional=1),
    "skb_adjust_room": PacketHelper(50, (_CTX, ("len_diff", i32), ("mode", u32), ("flags", u64)),
                                    _TC, optional=1),
    "csum_diff": PacketHelper(28, (("old", "buf"), ("new", "buf"), ("seed", u32)),
                              ("xdp", "tc"), changes=False, optional=1),
}
_TABLE += [Helper(name, p.id, "packet", i64) for name, p in PACKET_HELPERS.items()]
# helpers after which the verifier forgets every packet pointer (reload them from ctx)
PACKET_CHANGING = frozenset(name for name, p in PACKET_HELPERS.items() if p.changes)

HELPERS: dict[str, Helper] = {h.name: h for h in _TABLE}

# ids used by the lowering for calls that are not user-visible helpers
MAP_LOOKUP, MAP_UPDATE, MAP_DELETE, TAIL_CALL = 1, 2, 3, 12
RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_SUBMIT, RINGBUF_DISCARD = 130, 131, 132, 133
PERF_EVENT_OUTPUT = 25
TRACE_VPRINTK = 177
GET_STACKID = 27
TIMER_INIT, TIMER_SET_CALLBACK, TIMER_START, TIMER_CANCEL = 169, 170, 171, 172
