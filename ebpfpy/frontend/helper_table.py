"""The BPF helpers of ``ebpfpy.helpers``: id, signature and checking rules, as one table."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from ..types import BOOL, ArrayType, BpfType, RefType, i64, u8, u16, u32, u64
from .check_expr import ERR, is_int
from .typed import Call

TASK_COMM_LEN = 16


@dataclass(frozen=True)
class Helper:
    """``shape`` selects the checking rule; ``ret`` is the result type."""

    name: str
    id: int
    shape: str
    ret: BpfType

    def check(self, c: Any, node: ast.Call) -> BpfType:
        return getattr(self, "_" + self.shape)(c, node)

    def _record(self, c: Any, node: ast.Call, extra: Any = None) -> BpfType:
        c.fi.calls[node] = Call("helper", self.name, self.ret, extra)
        return self.ret

    def _noargs(self, c: Any, node: ast.Call) -> BpfType:
        if not c._nargs(node, 0, f"helpers.{self.name}"):
            return ERR
        return self._record(c, node)

    def _comm(self, c: Any, node: ast.Call) -> BpfType:
        return self._noargs(c, node)

    def _bswap(self, c: Any, node: ast.Call) -> BpfType:
        if not c._nargs(node, 1, f"helpers.{self.name}"):
            return ERR
        c.value_into(node.args[0], self.ret, "argument")
        return self._record(c, node)

    def _printk(self, c: Any, node: ast.Call) -> BpfType:
        args = node.args
        if node.keywords or not args or not (isinstance(args[0], ast.Constant) and
                                             isinstance(args[0].value, str)):
            c.src.error("E153", args[0] if args else node)
            return ERR
        if len(args) > 4:
            c.src.error("E154", args[4], n=len(args) - 1)
            return ERR
        fmt = args[0].value
        specs = re.findall(r"%[-+ #0-9.]*(?:ll|l|h|hh)?[a-zA-Z%]", fmt)
        specs = [s for s in specs if s != "%%"]
        if len(specs) != len(args) - 1:
            c.src.error("E155", node, n=len(specs), got=len(args) - 1)
            return ERR
        for a in args[1:]:
            t = c.expr(a)
            if t is not ERR and not (is_int(t) or t is BOOL):
                c.src.error("E111", a, type=t)
        return self._record(c, node, widen_printk_format(fmt))

    def _probe_read(self, c: Any, node: ast.Call) -> BpfType:
        if not c._nargs(node, 2, f"helpers.{self.name}"):
            return ERR
        dt = c.expr(node.args[0])
        if dt is not ERR and not c.place_ok(node.args[0]):
            c.src.error("E156", node.args[0], type=dt)
        c.value_into(node.args[1], u64, "source address")
        return self._record(c, node)

    def _loop(self, c: Any, node: ast.Call) -> BpfType:
        if not c._nargs(node, 3, "helpers.loop"):
            return ERR
        c.value_into(node.args[0], u32, "iteration count")
        fn = node.args[1]
        if not (isinstance(fn, ast.Name) and fn.id in c.info.functions):
            c.src.error("E157", fn)
            return ERR
        rt = c.expr(node.args[2])
        target = rt.target if isinstance(rt, RefType) else rt
        sig = c.signatures.get(fn.id)
        if sig is not None:
            params, _ret = sig
            if len(params) != 2 or params[0][2] or not params[1][2] or \
                    (target is not ERR and params[1][1] != target):
                c.src.error("E158", fn, name=fn.id, type=target)
        c.fi.callees.add(fn.id)
        c.call_sites.setdefault(fn.id, node)
        return self._record(c, node, fn.id)


    def _task_btf(self, c: Any, node: ast.Call) -> BpfType:
        # bpf_get_current_task_btf: a BTF pointer to the current task_struct
        from .kernel_types import resolve_kernel_name
        if not c._nargs(node, 0, f"helpers.{self.name}"):
            return ERR
        ks = resolve_kernel_name(c, node, "task_struct")
        if ks is None:
            return ERR
        t = RefType(ks, False, "kernel")
        c.fi.calls[node] = Call("helper", self.name, t)
        return t

    def _seq_file(self, c: Any, node: ast.expr, what: str) -> None:
        t = c.expr(node)
        name = getattr(getattr(t, "target", None), "name", None)
        if t is not ERR and not (isinstance(t, RefType) and name == "seq_file"):
            c.src.error("E264", node, what=what, want="struct seq_file", type=t)

    def _seq_printf(self, c: Any, node: ast.Call) -> BpfType:
        # bpf_seq_printf(seq, fmt, fmt_size, data, data_len): the values travel as u64s
        args = node.args
        if node.keywords or len(args) < 2 or not (isinstance(args[1], ast.Constant) and
                                                  isinstance(args[1].value, str)):
            c.src.error("E153", args[1] if len(args) > 1 else node)
            return ERR
        self._seq_file(c, args[0], f"helpers.{self.name}")
        if len(args) > 14:
            c.src.error("E154", args[14], n=len(args) - 2)
            return ERR
        fmt = args[1].value
        specs = [s for s in re.findall(r"%[-+ #0-9.]*(?:ll|l|h|hh)?[a-zA-Z%]", fmt) if s != "%%"]
        if len(specs) != len(args) - 2:
            c.src.error("E155", node, n=len(specs), got=len(args) - 2)
            return ERR
        for a in args[2:]:
            t = c.expr(a)
            if t is not ERR and not (is_int(t) or t is BOOL or c.place_ok(a)):
                c.src.error("E111", a, type=t)
        return self._record(c, node, widen_printk_format(fmt))

    def _seq_write(self, c: Any, node: ast.Call) -> BpfType:
        if not c._nargs(node, 2, f"helpers.{self.name}"):
            return ERR
        self._seq_file(c, node.args[0], f"helpers.{self.name}")
        dt = c.expr(node.args[1])
        if dt is not ERR and not c.place_ok(node.args[1]):
            c.src.error("E156", node.args[1], type=dt)
        return self._record(c, node)


    def _core_field(self, c: Any, node: ast.Call) -> BpfType:
        # helpers.field_exists(task.x): answered by libbpf against the target kernel
        if not c._nargs(node, 1, f"helpers.{self.name}"):
            return ERR
        arg = node.args[0]
        t = c.expr(arg)
        if t is not ERR and not (isinstance(arg, ast.Attribute) and
                                 c.fi.attrs.get(arg, ("",))[0] == "kfield"):
            c.src.error("E265", arg, what=f"helpers.{self.name}", want="a kernel struct field",
                        example=f"helpers.{self.name}(task.pid)")
            return ERR
        return self._record(c, node)

    def _core_type(self, c: Any, node: ast.Call) -> BpfType:
        # helpers.type_exists(kernel.X) / type_size(kernel.X)
        from .kernel_types import resolve_kernel_name
        if not c._nargs(node, 1, f"helpers.{self.name}"):
            return ERR
        dsl = c.info.names.dsl(node.args[0])
        if dsl is None or not dsl.startswith("kernel."):
            c.src.error("E265", node.args[0], what=f"helpers.{self.name}", want="a kernel type",
                        example=f"helpers.{self.name}(task_struct)")
            return ERR
        ks = resolve_kernel_name(c, node.args[0], dsl[7:])
        if ks is None:
            return ERR
        return self._record(c, node, ks)


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
    Helper("loop", 181, "loop", i64),
    Helper("get_current_task", 35, "noargs", u64),
    Helper("get_current_task_btf", 158, "task_btf", u64),
    Helper("seq_printf", 126, "seq_printf", i64),
    Helper("seq_write", 127, "seq_write", i64),
    Helper("field_exists", -1, "core_field", BOOL),
    Helper("field_size", -1, "core_field", u32),
    Helper("type_exists", -1, "core_type", BOOL),
    Helper("type_size", -1, "core_type", u32),
    Helper("ntohs", -1, "bswap", u16),
    Helper("htons", -1, "bswap", u16),
    Helper("ntohl", -1, "bswap", u32),
    Helper("htonl", -1, "bswap", u32),
]
HELPERS: dict[str, Helper] = {h.name: h for h in _TABLE}

# ids used by the lowering for calls that are not user-visible helpers
MAP_LOOKUP, MAP_UPDATE, MAP_DELETE, TAIL_CALL = 1, 2, 3, 12
RINGBUF_OUTPUT = 130
TIMER_INIT, TIMER_SET_CALLBACK, TIMER_START, TIMER_CANCEL = 169, 170, 171, 172
