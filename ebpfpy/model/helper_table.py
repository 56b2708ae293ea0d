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
    Helper("type_exists", -1, "core_type", BOOL),
    Helper("type_size", -1, "core_type", u32),
    Helper("ntohs", -1, "bswap", u16),
    Helper("htons", -1, "bswap", u16),
    Helper("ntohl", -1, "bswap", u32),
    Helper("htonl", -1, "bswap", u32),
    # memory a program allocates (kfuncs bpf_obj_new_impl / bpf_obj_drop_impl, helper 194)
    Helper("obj_new", -1, "alloc", NONE),
    Helper("obj_drop", -1, "alloc", NONE),
    Helper("kptr_xchg", 194, "alloc", NONE),
]
HELPERS: dict[str, Helper] = {h.name: h for h in _TABLE}

# ids used by the lowering for calls that are not user-visible helpers
MAP_LOOKUP, MAP_UPDATE, MAP_DELETE, TAIL_CALL = 1, 2, 3, 12
RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_SUBMIT, RINGBUF_DISCARD = 130, 131, 132, 133
PERF_EVENT_OUTPUT = 25
TRACE_VPRINTK = 177
GET_STACKID = 27
TIMER_INIT, TIMER_SET_CALLBACK, TIMER_START, TIMER_CANCEL = 169, 170, 171, 172
